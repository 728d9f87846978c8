"""The 39 IAF scope sectors (EA/IAF codes) auditors are qualified for."""

from django.db import migrations

AREAS = [
    (1, "Agriculture, forestry and fishing", "农业、林业和渔业"),
    (2, "Mining and quarrying", "采矿业和采石业"),
    (3, "Food products, beverages and tobacco", "食品、饮料和烟草"),
    (4, "Textiles and textile products", "纺织品及纺织产品"),
    (5, "Leather and leather products", "皮革及皮革制品"),
    (6, "Wood and wood products", "木材及木制品"),
    (7, "Pulp, paper and paper products", "纸浆、纸及纸制品"),
    (8, "Publishing companies", "出版业"),
    (9, "Printing companies", "印刷业"),
    (10, "Manufacture of coke and refined petroleum products", "焦炭及精炼石油制品"),
    (11, "Nuclear fuel", "核燃料"),
    (12, "Chemicals, chemical products and fibres", "化学品、化学制品及纤维"),
    (13, "Pharmaceuticals", "医药品"),
    (14, "Rubber and plastic products", "橡胶和塑料制品"),
    (15, "Non-metallic mineral products", "非金属矿物制品"),
    (16, "Concrete, cement, lime, plaster etc.", "混凝土、水泥、石灰、石膏等"),
    (17, "Basic metals and fabricated metal products", "基础金属及金属制品"),
    (18, "Machinery and equipment", "机械设备"),
    (19, "Electrical and optical equipment", "电子、电气及光电设备"),
    (20, "Shipbuilding", "造船"),
    (21, "Aerospace", "航空航天"),
    (22, "Other transport equipment", "其他运输设备"),
    (23, "Manufacturing not elsewhere classified", "其他未分类的制造业"),
    (24, "Recycling", "再生物资回收与加工"),
    (25, "Electricity supply", "电力供应"),
    (26, "Gas supply", "燃气生产与供应"),
    (27, "Water supply", "水的生产与供应"),
    (28, "Construction", "建筑业"),
    (29, "Wholesale and retail trade; repair of motor vehicles and household goods",
     "批发及零售；汽车、摩托车、个人及家庭用品修理"),
    (30, "Hotels and restaurants", "宾馆及餐馆"),
    (31, "Transport, storage and communication", "运输、仓储和通信"),
    (32, "Financial intermediation; real estate; renting", "金融、房地产和出租服务"),
    (33, "Information technology", "信息技术"),
    (34, "Engineering services", "科技服务"),
    (35, "Other services", "其他服务"),
    (36, "Public administration", "公共行政管理"),
    (37, "Education", "教育"),
    (38, "Health and social work", "卫生和社会工作"),
    (39, "Other social services", "其他社会服务"),
]


def forwards(apps, schema_editor):
    TechnicalArea = apps.get_model("clients", "TechnicalArea")
    for code, name, name_zh in AREAS:
        TechnicalArea.objects.update_or_create(code=code, defaults={"name": name, "name_zh": name_zh})


class Migration(migrations.Migration):
    dependencies = [("clients", "0003_technicalarea_client_technical_areas")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
