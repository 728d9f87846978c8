# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""The demo's vocabulary: cities and districts, company and person names, scopes, findings and
the reasons decisions give, shared by the walked clients (demo/walker.py) and the bulk ones
(demo/bulk.py)."""

import datetime
from dataclasses import dataclass
from itertools import accumulate

DAY = datetime.timedelta(days=1)
LATE_REASON = "客户要求推迟 / Postponed at the client's request."


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@dataclass(frozen=True)
class City:
    zh: str
    en: str
    prefix: str  # how addresses begin: 北京市 / 广东省深圳市
    area_code: str
    # (administrative division code used in the USCC, district, streets)
    districts: tuple


CITIES = (
    City("北京", "Beijing", "北京市", "010", (
        ("110108", "海淀区", ("中关村大街", "上地信息路", "知春路", "学院路", "西北旺东路")),
        ("110105", "朝阳区", ("望京街", "酒仙桥路", "建国路", "阜通东大街")),
        ("110115", "大兴区", ("科创十三街", "荣华中路")),
    )),
    City("上海", "Shanghai", "上海市", "021", (
        ("310115", "浦东新区", ("张江路", "碧波路", "祖冲之路", "世纪大道")),
        ("310104", "徐汇区", ("宜山路", "桂平路", "田林路")),
        ("310112", "闵行区", ("东川路", "申长路")),
    )),
    City("深圳", "Shenzhen", "广东省深圳市", "0755", (
        ("440305", "南山区", ("高新南七道", "深南大道", "科苑路", "学府路")),
        ("440304", "福田区", ("深南中路", "福华三路")),
        ("440307", "龙岗区", ("雅宝路", "龙翔大道")),
    )),
    City("杭州", "Hangzhou", "浙江省杭州市", "0571", (
        ("330108", "滨江区", ("网商路", "江南大道", "长河路")),
        ("330106", "西湖区", ("文三路", "西斗门路")),
        ("330110", "余杭区", ("文一西路", "五常大道")),
    )),
    City("成都", "Chengdu", "四川省成都市", "028", (
        ("510107", "武侯区", ("天府大道北段", "科华北路")),
        ("510104", "锦江区", ("东大街", "红星路三段")),
        ("510116", "双流区", ("西航港大道",)),
    )),
    City("广州", "Guangzhou", "广东省广州市", "020", (
        ("440106", "天河区", ("天河北路", "华夏路", "科韵路", "黄埔大道西")),
        ("440112", "黄埔区", ("科学大道", "开创大道")),
        ("440113", "番禺区", ("汉溪大道",)),
    )),
    City("南京", "Nanjing", "江苏省南京市", "025", (
        ("320115", "江宁区", ("秣周东路", "天元东路")),
        ("320106", "鼓楼区", ("中山北路", "广州路")),
        ("320111", "浦口区", ("星火路",)),
    )),
    City("武汉", "Wuhan", "湖北省武汉市", "027", (
        ("420111", "洪山区", ("珞喻路", "光谷大道")),
        ("420106", "武昌区", ("中北路", "徐东大街")),
        ("420103", "江汉区", ("建设大道",)),
    )),
    City("西安", "Xi'an", "陕西省西安市", "029", (
        ("610113", "雁塔区", ("科技路", "高新路", "锦业路")),
        ("610103", "碑林区", ("南关正街",)),
        ("610112", "未央区", ("凤城八路",)),
    )),
    City("苏州", "Suzhou", "江苏省苏州市", "0512", (
        ("320505", "虎丘区", ("狮山路", "科灵路")),
        ("320506", "吴中区", ("东吴北路",)),
        ("320508", "姑苏区", ("人民路",)),
    )),
)  # fmt: skip
CITY_CUM = list(accumulate((18, 16, 14, 9, 8, 10, 7, 6, 5, 7)))

BRAND_HEAD = (
    ("华", "Hua"), ("博", "Bo"), ("云", "Yun"), ("中", "Zhong"), ("天", "Tian"), ("神", "Shen"),
    ("东", "Dong"), ("海", "Hai"), ("智", "Zhi"), ("恒", "Heng"), ("锐", "Rui"), ("联", "Lian"),
    ("新", "Xin"), ("鼎", "Ding"), ("启", "Qi"), ("卓", "Zhuo"), ("金", "Jin"), ("宏", "Hong"),
    ("易", "Yi"), ("汇", "Hui"), ("长", "Chang"), ("安", "An"), ("永", "Yong"), ("瑞", "Rui"),
    ("思", "Si"), ("明", "Ming"), ("百", "Bai"), ("万", "Wan"), ("正", "Zheng"), ("通", "Tong"),
    ("盛", "Sheng"), ("凯", "Kai"), ("嘉", "Jia"), ("达", "Da"), ("创", "Chuang"), ("泰", "Tai"),
)  # fmt: skip
BRAND_TAIL = (
    ("信", "xin"), ("远", "yuan"), ("帆", "fan"), ("科", "ke"), ("融", "rong"), ("方", "fang"),
    ("量", "liang"), ("达", "da"), ("泰", "tai"), ("思", "si"), ("创", "chuang"), ("致", "zhi"),
    ("捷", "jie"), ("越", "yue"), ("网", "wang"), ("宇", "yu"), ("迅", "xun"), ("源", "yuan"),
    ("图", "tu"), ("腾", "teng"), ("星", "xing"), ("诚", "cheng"), ("数", "shu"), ("睿", "rui"),
    ("拓", "tuo"), ("盈", "ying"), ("维", "wei"), ("航", "hang"), ("讯", "xun"), ("邦", "bang"),
)  # fmt: skip
INDUSTRIES = (
    ("信息技术", "Information Technology", "it"),
    ("数据服务", "Data Services", "data"),
    ("软件", "Software", "soft"),
    ("云计算", "Cloud Computing", "cloud"),
    ("网络科技", "Network Technology", "net"),
    ("智能科技", "Intelligent Technology", "ai"),
    ("计算机系统", "Computer Systems", "cs"),
    ("系统集成", "System Integration", "si"),
    ("信息服务", "Information Services", "info"),
    ("数字科技", "Digital Technology", "digital"),
    ("通信技术", "Communication Technology", "comm"),
    ("科技", "Technology", "tech"),
)
SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
)  # fmt: skip
GIVEN_NAMES = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei"),
    ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"),
    ("超", "chao"), ("霞", "xia"), ("刚", "gang"), ("秀英", "xiuying"), ("晓东", "xiaodong"),
    ("建华", "jianhua"), ("志强", "zhiqiang"), ("海燕", "haiyan"), ("雪梅", "xuemei"),
    ("文博", "wenbo"), ("子涵", "zihan"), ("宇航", "yuhang"), ("欣怡", "xinyi"), ("浩然", "haoran"),
)  # fmt: skip
CONTACT_ROLES = (
    "管理者代表",
    "IT服务管理体系负责人",
    "运维总监",
    "质量部经理",
    "信息安全经理",
    "综合管理部主任",
)
MOBILE_PREFIXES = (130, 131, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 158, 159,
                   176, 177, 180, 181, 182, 185, 186, 187, 188, 189, 191, 198, 199)  # fmt: skip
SITE_KINDS = ("分公司", "研发中心", "数据中心", "运维服务中心", "技术支持中心")
# What each kind of site does within the scope: printed as the site's scope on a multi-site
# certificate (Site.activities; ISO/IEC 17021-1 8.2.2).
SITE_ACTIVITIES = {
    "分公司": "区域客户服务与销售支持 / Regional customer service and sales support",
    "研发中心": "软件开发与测试 / Software development and testing",
    "数据中心": "数据中心基础设施运维 / Operation of data centre infrastructure",
    "运维服务中心": "远程运维与事件处理 / Remote operations and incident handling",
    "技术支持中心": "IT服务台与技术支持 / IT service desk and technical support",
}
TOWERS = ("创新", "科技", "数码", "国际", "软件", "信息", "金融", "中心")

FOREIGN_SHARE = 0.03
FOREIGN = {
    "HK": {
        "cities": (("Hong Kong", "+852"),),
        "words": ("Victoria Harbour", "Kowloon", "Pacific", "Lantau", "Jade", "Harbourfront"),
        "industries": ("Data Services", "IT Services", "Cloud Solutions", "Technology"),
        "suffixes": ("Limited",),
        "domain": "com.hk",
        "addresses": (
            "Unit {n}, {f}/F, Cyberport 2, 100 Cyberport Road, Hong Kong",
            "Room {n}, {f}/F, Building 12W, Hong Kong Science Park, Sha Tin, New Territories",
            "{f}/F, {n} Des Voeux Road Central, Central, Hong Kong",
        ),
        "people": (("Chan Tai Man", "tm.chan"), ("Wong Ka Yan", "ky.wong"),
                   ("Lee Wing Sze", "ws.lee"), ("Cheung Chi Keung", "ck.cheung")),
        "roles": ("IT Service Manager", "Quality Manager", "Compliance Officer"),
    },
    "SG": {
        "cities": (("Singapore", "+65"),),
        "words": ("Lion City", "Merlion", "Straits", "Marina", "Orchid", "Temasek"),
        "industries": ("Data Services", "IT Services", "Cloud Solutions", "Technology"),
        "suffixes": ("Pte. Ltd.",),
        "domain": "com.sg",
        "addresses": (
            "1 Fusionopolis Way, #{f:02d}-{n:02d} Connexis, Singapore 138632",
            "{n} Science Park Road, #{f:02d}-{n:02d} The Capricorn, Singapore 117528",
            "{n} Changi Business Park Central 1, #{f:02d}-{n:02d}, Singapore 486036",
        ),
        "people": (("Tan Wei Ming", "weiming.tan"), ("Lim Hui Min", "huimin.lim"),
                   ("Ng Jun Jie", "junjie.ng"), ("Priya Raman", "priya.raman")),
        "roles": ("Head of IT Operations", "Quality Manager", "Compliance Officer"),
    },
    "DE": {
        "cities": (("München", "+49 89"), ("Frankfurt am Main", "+49 69"),
                   ("Berlin", "+49 30"), ("Hamburg", "+49 40")),
        "words": ("Rheintal", "Isar", "Spree", "Nordlicht", "Alpen", "Hanse"),
        "industries": ("IT-Services", "Datensysteme", "Cloud Solutions", "Rechenzentrum"),
        "suffixes": ("GmbH", "GmbH", "AG"),
        "domain": "de",
        "addresses": {
            "München": "Leopoldstraße {n}, 80807 München",
            "Frankfurt am Main": "Mainzer Landstraße {n}, 60329 Frankfurt am Main",
            "Berlin": "Friedrichstraße {n}, 10117 Berlin",
            "Hamburg": "Am Sandtorkai {n}, 20457 Hamburg",
        },
        "people": (("Julia Schneider", "julia.schneider"), ("Thomas Müller", "thomas.mueller"),
                   ("Anna Becker", "anna.becker"), ("Stefan Wagner", "stefan.wagner")),
        "roles": ("Leitung IT-Betrieb", "Qualitätsmanagement", "Informationssicherheit"),
    },
}  # fmt: skip

SCOPES = {
    "ITSM": (
        "向外部客户提供的信息系统运行维护服务 / Operation and maintenance of information "
        "systems for external customers",
        "数据中心基础设施运维服务 / Operation and maintenance of data centre infrastructure",
        "云计算平台（IaaS/PaaS）服务的提供 / Provision of cloud computing platform (IaaS/PaaS) "
        "services",
        "软件开发、系统集成及运维服务 / Software development, system integration and operation "
        "and maintenance services",
        "IT服务台及桌面运维服务 / IT service desk and desktop support services",
        "网络及安全设备运维服务 / Operation and maintenance of network and security equipment",
    ),
    "QMS": (
        "计算机软件的开发和技术服务 / Development of computer software and related technical "
        "services",
        "计算机信息系统集成服务 / Computer information system integration services",
    ),
    "ISMS": (
        "与信息系统运维服务相关的信息安全管理活动 / Information security management of IT "
        "operation and maintenance services",
        "数据处理与存储服务相关的信息安全管理 / Information security management of data "
        "processing and storage services",
    ),
}
SCOPE_EXTENSIONS = (
    "；新增：云平台托管运维服务 / added: managed cloud operation services",
    "；新增：苏州数据中心 / added: Suzhou data centre",
    "；新增：信息系统安全运维服务 / added: security operation services",
)
FINDINGS = {
    "ITSM": (
        ("8.5.1.3", "抽查近三个月的12条变更记录，其中2条紧急变更未在实施后进行评审。"),
        ("8.6.1", "3起重大事件未按服务级别协议规定的时限通知客户。"),
        ("8.7.2", "服务连续性计划在过去12个月内未进行测试。"),
        ("9.2", "内部审核未覆盖供方管理过程。"),
        ("7.5.3", "现场使用的运维手册为已作废版本，未受控。"),
        ("8.3.4", "与关键供方的合同未规定服务级别目标。"),
        ("8.3.3", "服务级别协议中的可用性目标未经客户评审确认。"),
        ("8.7.3", "信息安全风险评估未覆盖新上线的云平台。"),
        ("8.2.4", "服务目录未包含新增的数据备份服务。"),
        ("8.2.6", "配置管理数据库中5台服务器的配置信息与现场不一致。"),
    ),
    "QMS": (
        ("7.1.5", "性能测试工具的有效性未经确认。"),
        ("8.3.4", "设计评审记录未体现评审人员和评审结论。"),
        ("8.4.1", "未对外包开发供方进行再评价。"),
        ("9.2.2", "内部审核员审核了自己所在部门的工作。"),
        ("10.2.1", "客户投诉的纠正措施未评价有效性。"),
    ),
    "ISMS": (
        ("A.5.15", "2名离职员工的系统账号未在规定时限内禁用。"),
        ("A.8.8", "2台服务器的高危漏洞补丁超过90天未修复。"),
        ("6.1.3", "风险处置计划未获得风险所有者批准。"),
        ("A.5.30", "业务连续性的ICT就绪未经演练验证。"),
        ("A.8.13", "备份恢复测试记录缺失。"),
    ),
}
OBSERVATIONS = (
    ("9.1", "建议进一步细化服务绩效指标，便于趋势分析。"),
    ("7.2", "建议对新入职运维人员增加体系意识培训。"),
    ("10.3", "建议将客户满意度调查结果纳入改进计划。"),
)
PLAN = "已分析根本原因；修订相关程序文件，组织相关人员培训，并抽查执行情况验证有效性。"
REASONS = {
    "reject": (
        "申请资料不完整，经多次催补仍未提交 / Application documents incomplete despite reminders.",
        "管理体系运行不足三个月，不满足申请条件 / The management system has run for less than "
        "three months.",
    ),
    "refuse": (
        "第二阶段审核发现的严重不符合未在规定期限内完成纠正并验证 / Major nonconformities "
        "from stage 2 were not corrected and verified in time.",
    ),
    "suspend_missed": (
        "未在规定期限内接受监督审核 / Surveillance audit not carried out by its due date.",
    ),
    "suspend_major": (
        "监督审核发现严重不符合，管理体系未能持续满足要求 / Major nonconformity at "
        "surveillance: the system no longer meets the requirements.",
    ),
    "suspend_request": (
        "客户因办公场所搬迁申请暂停认证 / Suspension requested by the client (relocation).",
    ),
    "lift": (
        "特殊审核验证纠正措施有效，恢复认证 / Special audit verified the corrective actions: "
        "certification restored.",
    ),
    "withdraw_deadline": (
        "暂停期满仍未恢复，撤销认证 / Suspension deadline passed without restoration.",
    ),
    "withdraw_request": (
        "客户因业务调整申请撤销认证 / Withdrawal requested by the client (business restructuring).",
    ),
    "extend": ("监督审核同时验证了扩大的范围 / Extension verified at the surveillance audit.",),
    "extend_audited": ("特别审核确认了扩大的范围 / The special audit confirmed the extension.",),
}
# Reasons of suspensions and withdrawals the client asked for (Decision.at_client_request).
AT_CLIENT_REQUEST = {"suspend_request", "withdraw_request"}
STAGE1_REPEAT_JUSTIFICATION = (
    "第一阶段审核结论为尚未准备好；客户完善文件后重新安排第一阶段审核，由另一名审核组长实施以"
    "降低公正性风险 / Stage 1 found the client not ready; repeated after the documents were "
    "completed, led by another team leader to limit the impartiality risk."
)
STANDARD_CUM = list(accumulate((75, 13, 12)))
STANDARD_CODES = ("ISO/IEC 20000-1", "ISO 9001", "ISO/IEC 27001")

DEMO_NOTE = "演示数据 / demo data (seed_demo)"
