"""The standards certbody ships with, and their application document checklists
(ISO/IEC 20000-1's list from shared/domain.md). Staff edit these as data afterwards."""

from django.db import migrations

COMMON_HEAD = [
    ("Legal registration copy (business licence or foreign registration certificate)",
     "法律地位证明文件复印件（营业执照或境外注册证明）"),
    ("Organisation profile, main business processes and organisation chart",
     "组织简介、主要业务流程及组织机构图"),
    ("Evidence the management system runs (document control list, dated records)",
     "体系运行证据（受控文件清单、带日期的记录）"),
]
COMMON_TAIL = [
    ("Internal audit and management review evidence", "内部审核和管理评审证据"),
    ("Confidentiality declaration", "保密声明"),
]
ITSM = COMMON_HEAD + [
    ("Service management policy and plan", "服务管理方针和服务管理计划"),
    ("Service level agreements (SLAs)", "服务级别协议（SLA）"),
    ("Capacity management", "容量管理"),
    ("Service continuity and availability management", "服务连续性和可用性管理"),
    ("Service level management", "服务级别管理"),
    ("Service reporting", "服务报告"),
    ("Information security management", "信息安全管理"),
    ("Budgeting and accounting for services", "服务的预算和核算"),
    ("Business relationship management", "业务关系管理"),
    ("Supplier management", "供方管理"),
    ("Incident management", "事件管理"),
    ("Problem management", "问题管理"),
    ("Configuration management", "配置管理"),
    ("Change management", "变更管理"),
    ("Release and deployment management", "发布和部署管理"),
    ("Document structure and list of documents", "文件结构和文件清单"),
    ("Cross-reference of the documents to the clauses of ISO/IEC 20000-1",
     "文件与 ISO/IEC 20000-1 条款的对照表"),
    ("Service catalogue and service plan", "服务目录和服务计划"),
] + COMMON_TAIL
QMS = COMMON_HEAD + [
    ("Quality policy and quality objectives", "质量方针和质量目标"),
    ("Quality manual or description of the quality management system", "质量手册或质量管理体系描述"),
    ("List of documented information", "成文信息清单"),
] + COMMON_TAIL
ISMS = COMMON_HEAD + [
    ("Information security policy and objectives", "信息安全方针和目标"),
    ("Information security risk assessment and treatment plan", "信息安全风险评估和处置计划"),
    ("Statement of applicability", "适用性声明"),
    ("List of documented information", "成文信息清单"),
] + COMMON_TAIL

STANDARDS = [
    ("ISO/IEC 20000-1", "2018", "Service management system requirements", "ITSM", ITSM),
    ("ISO 9001", "2015", "Quality management systems — Requirements", "QMS", QMS),
    ("ISO/IEC 27001", "2022", "Information security management systems — Requirements",
     "ISMS", ISMS),
]


def forwards(apps, schema_editor):
    Standard = apps.get_model("clients", "Standard")
    RequiredDocument = apps.get_model("clients", "RequiredDocument")
    for code, edition, title, short, docs in STANDARDS:
        standard, _ = Standard.objects.get_or_create(
            code=code, edition=edition, defaults={"title": title, "certificate_code": short}
        )
        for position, (en, zh) in enumerate(docs, start=1):
            RequiredDocument.objects.get_or_create(
                standard=standard, title=en, defaults={"title_zh": zh, "position": position}
            )


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
