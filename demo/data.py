# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""Demo data: realistic clients and certifications, for the ``seed_demo`` command.

Two ways in, sharing one generator of client profiles (``make_profile``):

- ``Walker`` takes a client through the real services (certificates.services and
  audits.services), with dates relative to "today", so its history is genuine: state log rows
  (django-fsm-log, back-dated to the day of each step), audits, findings, decisions and
  certificate versions.
- ``BulkWriter`` writes many clients at once with ``bulk_create`` (client, sites, contact,
  application, certification in its final state with consistent dates, certificate version 1
  and decisions), one chunk at a time, so memory stays flat however many clients are asked for.

Registration ids are derived from a serial number that starts after the largest client pk
(``next_serial``), so a second run adds clients without unique-key collisions. Chinese clients
get a unified social credit code of GB 32100-2015 whose organisation code is "MA" + the serial
in base 31 + its GB 11714 check character, and whose last character is the USCC check
character computed by python-stdnum.
"""

import datetime
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate, islice

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Case, CharField, Max, Value, When
from django.db.models.functions import Cast, Concat, LPad
from django.db.models.signals import pre_save
from django.utils import timezone
from django_fsm_log.models import StateLog
from stdnum.cn import uscc

from audits import services as audit_svc
from audits.models import Grade, Recommendation
from certificates import services as svc
from certificates.models import (
    Certificate,
    CertificateStatus,
    Certification,
    Decision,
    DecisionOutcome,
    State,
    number_key,
)
from clients.models import (
    Application,
    ApplicationDocument,
    Client,
    Contact,
    Site,
    Standard,
    TechnicalArea,
)
from core.dates import add_months, add_years
from core.policy import policy

DAY = datetime.timedelta(days=1)
LATE_REASON = "客户要求推迟 / Postponed at the client's request."


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


# =============================================================================================
# Vocabulary
# =============================================================================================
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
        "与信息系统运维服务相关的信息安全管理活动（适用性声明 V1.0） / Information security "
        "management of IT operation and maintenance services (statement of applicability V1.0)",
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


# =============================================================================================
# Registration ids
# =============================================================================================
_B31 = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the USCC alphabet, in ASCII order
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
MAX_SERIAL = 31**6 - 1


def _base31(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 31)
        out.append(_B31[r])
    if n:
        raise ValueError("serial too large")
    return "".join(reversed(out))


def _org_check(code8: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    total = sum(int(c, 36) * w for c, w in zip(code8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make_uscc(serial: int, region: str) -> str:
    """A valid unified social credit code (enterprise, registered by SAMR) for ``serial``."""
    org8 = "MA" + _base31(serial, 6)
    body = f"91{region}{org8}{_org_check(org8)}"
    return body + uscc.calc_check_digit(body)


def foreign_registration_id(country: str, serial: int, city: str = "") -> str:
    if country == "HK":
        return f"CR {serial:08d}"
    if country == "SG":
        return f"{serial:09d}{'ABCDEGHKMNRWZ'[serial % 13]}"  # a UEN-like number
    return f"HRB {serial} (Amtsgericht {city})"


def next_serial() -> int:
    """Serial of the next client: one more than the largest client pk.

    Each run numbers its clients start, start + 1, ... in creation order, with start above
    every pk at the time; pks are handed out in increasing order and never reused, so every
    seeded client's serial is at most its own pk. Starting after the largest pk therefore
    meets no serial still in the database (deleted clients included). ``_dodge_collisions``
    covers the remaining case, an id typed in by hand."""
    return (Client.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


# =============================================================================================
# Client profiles
# =============================================================================================
@dataclass(slots=True)
class Profile:
    client: dict
    sites: list
    contact: dict
    language: str
    region: str = ""  # the USCC division code (CN only), to rebuild the id on a collision
    serial: int = 0


def _effective_personnel(rng) -> int:
    return max(5, min(5000, round(math.exp(rng.gauss(math.log(60), 1.3)))))


def _cn_address(rng, city: City, district=None) -> str:
    _, name, streets = district or rng.choice(city.districts)
    n = rng.randint(1, 399)
    kind = rng.random()
    if kind < 0.4:
        tail = f"{rng.randint(1, 12)}号楼{rng.randint(1, 20)}层"
    elif kind < 0.7:
        tail = f"{rng.randint(1, 9)}栋{rng.randint(1, 25)}{rng.randint(1, 20):02d}室"
    else:
        tail = f"{rng.choice(TOWERS)}大厦{rng.randint(2, 30)}层"
    return f"{city.prefix}{name}{rng.choice(streets)}{n}号{tail}"


def make_profile(rng: random.Random, serial: int) -> Profile:
    """One realistic client (with sites and a contact) whose registration id derives from
    ``serial``."""
    if rng.random() < FOREIGN_SHARE:
        return _foreign_profile(rng, serial)
    city = rng.choices(CITIES, cum_weights=CITY_CUM)[0]
    district = rng.choice(city.districts)
    head, head_py = rng.choice(BRAND_HEAD)
    tail, tail_py = rng.choice(BRAND_TAIL)
    if tail == head:
        tail, tail_py = "远", "yuan"
    brand_py = head_py + tail_py
    ind_zh, ind_en, slug = rng.choice(INDUSTRIES)
    form = "股份有限公司" if rng.random() < 0.15 else "有限公司"
    personnel = _effective_personnel(rng)
    address = _cn_address(rng, city, district)
    region = district[0]
    client = {
        "legal_name": f"{city.zh}{head}{tail}{ind_zh}{form}",
        "english_name": f"{city.en} {brand_py} {ind_en} Co., Ltd.",
        "registration_id": make_uscc(serial, region),
        "country": "CN",
        "city": city.zh,
        "address": address,
        "effective_personnel": personnel,
        "notes": DEMO_NOTE,
    }
    sites = []
    central = personnel
    if personnel >= 40 and rng.random() < 0.3:
        others = rng.sample([c for c in CITIES if c is not city], rng.choice((1, 1, 1, 2, 2, 3)))
        for other in others:
            share = max(1, round(personnel * rng.uniform(0.05, 0.25)))
            if central - share < 1:
                break
            central -= share
            sites.append(
                {
                    "name": f"{other.zh}{rng.choice(SITE_KINDS)}",
                    "is_central": False,
                    "city": other.zh,
                    "address": _cn_address(rng, other),
                    "personnel": share,
                }
            )
    sites.insert(
        0,
        {
            "name": "总部",
            "is_central": True,
            "city": city.zh,
            "address": address,
            "personnel": central,
        },
    )
    surname, surname_py = rng.choice(SURNAMES)
    given, given_py = rng.choice(GIVEN_NAMES)
    domain = f"{brand_py.lower()}-{slug}.{rng.choice(('com.cn', 'com', 'cn'))}"
    contact = {
        "name": surname + given,
        "role": rng.choice(CONTACT_ROLES),
        "phone": f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}",
        "email": f"{given_py}.{surname_py}@{domain}",
        "is_primary": True,
    }
    return Profile(client, sites, contact, "zh-hans", region=region, serial=serial)


def _foreign_profile(rng, serial: int) -> Profile:
    country = rng.choice(("HK", "SG", "DE"))
    spec = FOREIGN[country]
    city, dial = rng.choice(spec["cities"])
    word = rng.choice(spec["words"])
    industry = rng.choice(spec["industries"])
    name = f"{word} {industry} {rng.choice(spec['suffixes'])}"
    addresses = spec["addresses"]
    template = addresses[city] if isinstance(addresses, dict) else rng.choice(addresses)
    address = template.format(n=rng.randint(1, 99), f=rng.randint(2, 30))
    personnel = _effective_personnel(rng)
    person, mailbox = rng.choice(spec["people"])
    domain = f"{word.lower().replace(' ', '')}-{industry.split()[0].lower()}.{spec['domain']}"
    client = {
        "legal_name": name,
        "english_name": name,
        "registration_id": foreign_registration_id(country, serial, city),
        "country": country,
        "city": city,
        "address": address,
        "effective_personnel": personnel,
        "notes": DEMO_NOTE,
    }
    sites = [
        {
            "name": "Headquarters",
            "is_central": True,
            "city": city,
            "address": address,
            "personnel": personnel,
        }
    ]
    contact = {
        "name": person,
        "role": rng.choice(spec["roles"]),
        "phone": f"{dial} {rng.randint(2000, 9999)} {rng.randint(1000, 9999)}",
        "email": f"{mailbox}@{domain}",
        "is_primary": True,
    }
    return Profile(client, sites, contact, "en", serial=serial)


def profile_with_free_id(rng, serial: int) -> Profile:
    """``make_profile``, with the registration id moved to a higher serial in the rare case a
    hand-entered client already holds it."""
    profile = make_profile(rng, serial)
    _dodge_collisions([profile])
    return profile


def _dodge_collisions(profiles) -> None:
    """Give a fresh id to every profile whose registration id is already taken. The bumped
    serials live far above the counter (which follows client pks), so they stay unique."""
    pending = list(profiles)
    for attempt in range(1, 3):
        ids = [p.client["registration_id"] for p in pending]
        taken = set()
        for batch in _batched(ids, 900):
            taken.update(
                Client.objects.filter(registration_id__in=batch).values_list(
                    "registration_id", flat=True
                )
            )
        pending = [p for p in pending if p.client["registration_id"] in taken]
        if not pending:
            return
        for p in pending:
            serial = p.serial + attempt * 300_000_000
            c = p.client
            c["registration_id"] = (
                make_uscc(serial, p.region)
                if c["country"] == "CN"
                else foreign_registration_id(c["country"], serial, c["city"])
            )
    raise RuntimeError("could not find free registration ids")


def _batched(items, n):
    it = iter(items)
    while batch := list(islice(it, n)):
        yield batch


def pick_standard(rng, standards: dict) -> Standard:
    return standards[rng.choices(STANDARD_CODES, cum_weights=STANDARD_CUM)[0]]


def scope_for(rng, standard: Standard, country: str) -> str:
    scope = rng.choice(SCOPES.get(standard.certificate_code, SCOPES["ITSM"]))
    return (scope.partition(" / ")[2] or scope) if country != "CN" else scope


# =============================================================================================
# People
# =============================================================================================
DEMO_USERS = (
    ("staff_demo", "CB staff", "李", "静"),
    ("auditor_demo", "Auditor", "王", "建华"),
    ("auditor2_demo", "Auditor", "陈", "志强"),
    ("decider_demo", "Decision maker", "刘", "海燕"),
)


# More auditors, so that teams can be free on overlapping days (an auditor cannot be in two
# places at once): (username, family name, given name, home city, extra IAF codes).
DEMO_AUDITORS = (
    ("auditor_zhao", "赵", "伟", "上海", (19,)),
    ("auditor_sun", "孙", "丽", "深圳", ()),
    ("auditor_zhou", "周", "敏", "杭州", (29,)),
    ("auditor_wu", "吴", "强", "成都", ()),
    ("auditor_zheng", "郑", "芳", "广州", (19,)),
    ("auditor_feng", "冯", "军", "南京", ()),
    ("auditor_huang", "黄", "磊", "武汉", (34,)),
    ("auditor_he", "何", "洁", "西安", ()),
    ("auditor_lin", "林", "涛", "苏州", (19,)),
    ("auditor_guo", "郭", "静", "北京", ()),
)
DEMO_HOME = {"auditor_demo": "北京", "auditor2_demo": "上海"}
QUALIFIED = (datetime.date(2015, 1, 1), datetime.date(2035, 12, 31))
QUALIFICATION_EVIDENCE = "CCAA 注册审核员，见证审核通过 / CCAA registered auditor, witnessed audit."


@dataclass
class People:
    staff: object
    auditor: object
    auditor2: object
    decider: object
    # Every auditor teams are drawn from (auditor and auditor2 included).
    pool: list = field(default_factory=list)


def ensure_auditors(users) -> None:
    """Auditor profiles for ``users``: team leader for every standard in IAF 33 (and their
    extra codes) from 2015 to 2035, with yearly impartiality declarations, so demo teams pass
    the team rules (audits/services/teams.py)."""
    from audits.models import (
        AuditorProfile,
        AuditRole,
        ImpartialityDeclaration,
        Qualification,
    )
    from clients.models import TechnicalArea

    extra = {name: codes for name, _l, _f, _c, codes in DEMO_AUDITORS}
    cities = DEMO_HOME | {name: city for name, _l, _f, city, _x in DEMO_AUDITORS}
    areas = {a.code: a for a in TechnicalArea.objects.all()}
    standards = list(Standard.objects.filter(code__in=STANDARD_CODES))
    for user in users:
        profile, created = AuditorProfile.objects.get_or_create(
            user=user,
            defaults={"home_city": cities.get(user.username, ""), "languages": "zh-hans,en"},
        )
        if not created:
            continue
        Qualification.objects.bulk_create(
            Qualification(
                profile=profile,
                standard=std,
                technical_area=areas[code],
                role=AuditRole.TEAM_LEADER,
                evidence=QUALIFICATION_EVIDENCE,
                valid_from=QUALIFIED[0],
                valid_until=QUALIFIED[1],
            )
            for std in standards
            for code in (33, *extra.get(user.username, ()))
            if code in areas
        )
        ImpartialityDeclaration.objects.bulk_create(
            ImpartialityDeclaration(profile=profile, year=year, signed_on=datetime.date(year, 1, 5))
            for year in range(QUALIFIED[0].year, QUALIFIED[1].year + 1)
        )


def ensure_people() -> People:
    """The demo users the services need (never superusers; no usable password), and the
    auditors' profiles and qualifications."""
    User = get_user_model()
    users = []
    for username, group, last, first in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_staff": True,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=group))
        users.append(User.objects.get(pk=user.pk))  # fresh permission cache
    pool = [users[1], users[2]]
    for username, last, first, _city, _codes in DEMO_AUDITORS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "is_staff": True},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name="Auditor"))
        pool.append(User.objects.get(pk=user.pk))
    ensure_auditors(pool)
    return People(*users, pool=pool)


def load_standards() -> dict:
    return {code: Standard.objects.get(code=code) for code in STANDARD_CODES}


# =============================================================================================
# Walking clients through the services
# =============================================================================================
# The first twelve cover every state; the rest add variety (mostly active certifications).
SCENARIOS = (
    "active_surv1", "applied", "under_review", "accepted", "rejected", "stage1", "stage2",
    "decision_pending", "refused", "suspended", "withdrawn", "expired",
    "active_surv2", "active_recertified", "stage1_repeat", "active_recent",
    "decision_pending_ready", "active_restored", "stage2_in_progress", "active_lifted",
    "suspended_request", "active_extended", "withdrawn_request", "active_surv1",
    "expired_window_closed", "active_overdue", "reapplied", "active_recent", "suspended_major",
    "decision_pending_major", "active_surv2", "under_review", "active_recertified", "accepted",
    "active_surv1", "stage1", "refused", "active_recent", "applied", "active_surv2",
)  # fmt: skip


class Walker:
    """Takes one client at a time through the real services, ending in a scenario's state.

    Every service call goes through ``_at(day)``, which also stamps the state-log rows the call
    writes with that day (otherwise they would all carry the moment the command ran).
    """

    def __init__(self, *, rng, today, people: People, standards: dict):
        self.rng = rng
        self.today = today
        self.people = people
        self.standards = standards
        self.clock = today
        self.last = today
        self._tick = 0
        self.sites = []  # of the client being walked
        self.language = "zh-hans"

    # -- plumbing ------------------------------------------------------------------------
    def __enter__(self):
        pre_save.connect(self._stamp, sender=StateLog, weak=False, dispatch_uid="seed_demo")
        return self

    def __exit__(self, *exc):
        pre_save.disconnect(sender=StateLog, dispatch_uid="seed_demo")

    def _stamp(self, sender, instance, **kwargs):
        if instance._state.adding:
            instance.timestamp = self._moment(self.clock)

    def _moment(self, day):
        minutes = min(9 * 60 + 11 * self._tick, 17 * 60 + 30)
        self._tick += 1
        naive = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(
            minutes=minutes
        )
        return timezone.make_aware(naive)

    def _at(self, day: datetime.date) -> datetime.date:
        if day > self.today or day < self.last:
            raise AssertionError(f"demo step on {day}: after today or before {self.last}")
        if day != self.clock:
            self._tick = 0
        self.clock = day
        self.last = max(self.last, day)
        return day

    def r(self, lo: int, hi: int) -> datetime.timedelta:
        return days(self.rng.randint(lo, hi))

    def between(self, lo: datetime.date, hi: datetime.date) -> datetime.date:
        if hi <= lo:
            return lo
        return lo + days(self.rng.randint(0, (hi - lo).days))

    def soon(self, lo: int, hi: int) -> datetime.date:
        """A day ``lo``..``hi`` days after the last step, but not after today."""
        first = min(self.last + days(lo), self.today)
        return self.between(max(first, self.last), min(self.last + days(hi), self.today))

    def plan_day(self, start, lo, hi):
        """The day an audit starting on ``start`` is planned: ``lo``..``hi`` days before it,
        but not before the last step nor after today."""
        return min(max(start - self.r(lo, hi), self.last), self.today)

    def team(self, start, end=None):
        """A team leader and a member free from ``start`` to ``end`` (auditors cannot be in
        two places at once: the services refuse an overlapping booking)."""
        from audits.models import Booking

        pool = self.people.pool or [self.people.auditor, self.people.auditor2]
        busy = set(
            Booking.objects.filter(
                auditor__in=pool, starts_on__lte=end or start + days(3), ends_on__gte=start
            ).values_list("auditor_id", flat=True)
        )
        free = [u for u in pool if u.pk not in busy]
        self.rng.shuffle(free)
        if len(free) < 2:
            raise AssertionError(f"demo: fewer than two auditors free on {start}")
        return free[0], free[1]

    # -- one client ----------------------------------------------------------------------
    def walk(self, index: int, profile: Profile) -> Certification:
        scenario = SCENARIOS[index % len(SCENARIOS)]
        self.last = datetime.date.min
        with transaction.atomic():
            client = Client.objects.create(**profile.client)
            client.technical_areas.set(TechnicalArea.objects.filter(code=33))  # IT services
            self.sites = [Site.objects.create(client=client, **s) for s in profile.sites]
            self.language = profile.language
            Contact.objects.create(client=client, **profile.contact)
            std = pick_standard(self.rng, self.standards)
            cert = getattr(self, f"s_{scenario}")(client, std)
            self._backdate(client, cert)
        cert.refresh_from_db()
        return cert

    def _backdate(self, client, cert):
        """Creation and recording moments on the demo days, not the day the command ran."""
        first = cert.application.received_on if cert.application else self.today
        for app in client.applications.all():
            first = min(first, app.received_on)
        Client.objects.filter(pk=client.pk).update(created_at=self._moment(first - self.r(0, 10)))
        for decision in Decision.objects.filter(certification=cert):
            Decision.objects.filter(pk=decision.pk).update(
                recorded_at=self._moment(decision.decided_on)
            )

    # -- building blocks -----------------------------------------------------------------
    def apply(self, client, std, received, *, complete=True, operating_since=None):
        p = self.people
        self.last = max(self.last, received)
        application = svc.application_submit(
            client=client,
            standards=[std],
            by=p.staff,
            received_on=self._at(received),
            scope=scope_for(self.rng, std, client.country),
            effective_personnel=client.effective_personnel,
            language=self.language,
            sites=self.sites,
            system_operating_since=operating_since or received - self.r(120, 900),
            internal_audit_on=received - self.r(30, 80),
            management_review_on=received - self.r(5, 25),
            no_penalty_declared=True,
            legal_registration_checked=True,
            impartiality_threats="无已识别的公正性威胁 / No threat to impartiality identified.",
        )
        documents = list(std.required_documents.all())
        if not complete:
            missing = set(self.rng.sample(range(len(documents)), self.rng.randint(2, 5)))
            documents = [d for i, d in enumerate(documents) if i not in missing]
        ApplicationDocument.objects.bulk_create(
            ApplicationDocument(
                application=application,
                required_document=d,
                received_on=received - self.r(0, 7),
            )
            for d in documents
        )
        return Certification.objects.get(client=client, standard=std)

    def accept(self, cert, on):
        p = self.people
        start = self.between(max(self.last, on - days(10)), on - DAY)
        # The application review records the audit time for the whole cycle (IAF MD 5).
        audit_svc.audit_time_calculate(application=cert.application, by=p.staff, on=self._at(start))
        cert = svc.certification_start_review(certification=cert, by=p.staff, on=self._at(start))
        return svc.certification_accept(
            certification=cert,
            by=p.staff,
            on=self._at(on),
            reason="申请评审通过，已签订认证合同 / Application reviewed, contract signed.",
        )

    def _duration(self, client, base):
        n = client.effective_personnel
        return base + (n >= 100) + (n >= 1000)

    def run_audit(self, audit, *, start, end, recommendation, findings=()):
        p = self.people
        leader = audit.team_leader
        audit = audit_svc.audit_start(audit=audit, by=leader, on=self._at(start))
        raised = [
            audit_svc.finding_raise(
                audit=audit,
                grade=grade,
                clause=clause,
                description=text,
                by=leader,
                on=self._at(end),
            )
            for grade, clause, text in findings
        ]
        audit = audit_svc.audit_submit_report(
            audit=audit, recommendation=recommendation, by=leader, on=self._at(end)
        )
        audit = audit_svc.audit_close(audit=audit, by=p.staff, on=self._at(end))
        return audit, raised

    def findings(self, std, *, majors=0, minors=None, observations=None):
        rng = self.rng
        pool = FINDINGS.get(std.certificate_code, FINDINGS["ITSM"])
        minors = rng.choice((0, 1, 1, 2, 3)) if minors is None else minors
        observations = rng.choice((0, 0, 1, 2)) if observations is None else observations
        picked = rng.sample(pool, min(len(pool), majors + minors))
        out = [(Grade.MAJOR, c, t) for c, t in picked[:majors]]
        out += [(Grade.MINOR, c, t) for c, t in picked[majors:]]
        out += [(Grade.OBSERVATION, c, t) for c, t in rng.sample(OBSERVATIONS, observations)]
        return out

    def resolve(self, raised, on, *, verify_majors=True):
        for f in raised:
            if f.grade == Grade.OBSERVATION:
                continue
            # The finding's team leader follows it up (only its team may: audits/access.py).
            leader = f.audit.team_leader
            f = audit_svc.finding_accept_plan(finding=f, plan=PLAN, by=leader, on=self._at(on))
            if f.grade == Grade.MAJOR and verify_majors:
                f = audit_svc.finding_mark_corrected(finding=f, by=leader, on=self._at(on))
                audit_svc.finding_verify(finding=f, by=leader, on=self._at(on))

    def plan_stage1(self, cert, start, *, planned_on, leader=None, justification=""):
        cert.refresh_from_db()
        leader = leader or self.team(start)[0]
        return svc.certification_plan_stage1(
            certification=cert,
            planned_start=start,
            planned_end=start + days(self._duration(cert.client, 1) - 1),
            team_leader=leader,
            by=self.people.staff,
            on=self._at(min(max(planned_on, self.last), self.today)),
            justification=justification,
        )

    def stage1(self, cert, start, *, planned_on, ready=True, leader=None, justification=""):
        cert, audit = self.plan_stage1(
            cert, start, planned_on=planned_on, leader=leader, justification=justification
        )
        rec = Recommendation.READY_FOR_STAGE2 if ready else Recommendation.NOT_READY
        audit, _ = self.run_audit(audit, start=start, end=audit.planned_end, recommendation=rec)
        return cert, audit

    def plan_stage2(self, cert, start, *, planned_on):
        cert.refresh_from_db()
        leader, member = self.team(start)
        return svc.certification_plan_stage2(
            certification=cert,
            planned_start=start,
            planned_end=start + days(self._duration(cert.client, 2) - 1),
            team_leader=leader,
            members=[member],
            by=self.people.staff,
            on=self._at(min(max(planned_on, self.last), self.today)),
        )

    def stage2(self, cert, start, *, planned_on, findings=()):
        cert, audit = self.plan_stage2(cert, start, planned_on=planned_on)
        audit, raised = self.run_audit(
            audit,
            start=start,
            end=audit.planned_end,
            recommendation=Recommendation.RECOMMEND,
            findings=findings,
        )
        cert = svc.certification_submit_for_decision(
            certification=cert, by=self.people.staff, on=self._at(audit.actual_end + DAY)
        )
        return cert, audit, raised

    def to_stage1_done(self, client, std, received):
        """Applied on ``received``, accepted, stage 1 closed as ready."""
        cert = self.apply(client, std, received)
        cert = self.accept(cert, received + self.r(5, 12))
        s1 = received + self.r(25, 40)
        cert, _ = self.stage1(cert, s1, planned_on=s1 - self.r(10, 18))
        return cert

    def certify(self, client, std, granted):
        """Application three to four months before ``granted``, both stages, grant."""
        received = granted - self.r(100, 140)
        cert = self.to_stage1_done(client, std, received)
        s2 = self.last + self.r(20, 35)
        cert, _, raised = self.stage2(
            cert, s2, planned_on=s2 - self.r(10, 18), findings=self.findings(std, majors=0)
        )
        self.resolve(raised, self.between(self.last + days(5), granted - days(3)))
        svc.certification_grant(
            certification=cert,
            by=self.people.decider,
            on=self._at(granted),
            reason="审核组推荐认证，不符合项已关闭 / Recommended by the audit team; "
            "nonconformities closed.",
        )
        cert.refresh_from_db()
        return cert

    def surveillances(self, cert, *, until, plan_next=False, majors=0):
        """The surveillances of the current cycle whose audit can be over by ``until``."""
        p = self.people
        cert.refresh_from_db()
        dues = cert.surveillance_due_dates()
        while cert.surveillances_done < len(dues):
            due = dues[cert.surveillances_done]
            start = max(due - self.r(20, 60), self.last + days(7))
            held = cert.audits.filter(
                kind="surveillance", cycle=cert.cycle, dates_confirmed=True
            ).exclude(state="cancelled")
            if held.filter(planned_start__year=start.year).exists():
                start = datetime.date(start.year + 1, 1, 2)  # one per calendar year
            if start + DAY > until:
                if plan_next and start <= self.today + days(90) and cert.state == State.ACTIVE:
                    self._at(self.plan_day(start, 21, 35))
                    start = max(start, self.today + days(7))
                    audit_svc.audit_plan(
                        certification=cert,
                        kind="surveillance",
                        planned_start=start,
                        planned_end=start + DAY,
                        team_leader=self.team(start, start + DAY)[0],
                        late_reason=LATE_REASON if start + DAY > due else "",
                        by=p.staff,
                    )
                break
            self._at(self.plan_day(start, 14, 30))
            audit = audit_svc.audit_plan(
                certification=cert,
                kind="surveillance",
                planned_start=start,
                planned_end=start + DAY,
                team_leader=self.team(start, start + DAY)[0],
                late_reason=LATE_REASON if start + DAY > due else "",
                by=p.staff,
            )
            findings = self.findings(
                cert.standard, majors=majors, minors=self.rng.choice((0, 0, 1, 2))
            )
            rec = Recommendation.RECOMMEND_SUSPENSION if majors else Recommendation.CONTINUE
            audit, raised = self.run_audit(
                audit, start=start, end=start + DAY, recommendation=rec, findings=findings
            )
            if not majors:
                self.resolve(raised, self.soon(7, 20))
            cert.refresh_from_db()
            if majors:
                break
        return cert

    def recert_audit(self, cert, start):
        p = self.people
        leader, member = self.team(start, start + days(self._duration(cert.client, 1)))
        self._at(self.plan_day(start, 20, 40))
        audit = audit_svc.audit_plan(
            certification=cert,
            kind="recertification",
            planned_start=start,
            planned_end=start + days(self._duration(cert.client, 1)),
            team_leader=leader,
            members=[member],
            by=p.staff,
        )
        audit, raised = self.run_audit(
            audit,
            start=start,
            end=audit.planned_end,
            recommendation=Recommendation.RECOMMEND,
            findings=self.findings(cert.standard, majors=0),
        )
        self.resolve(raised, self.soon(3, 10))
        cert.refresh_from_db()
        return cert

    def suspend(self, cert, on, key):
        return svc.certification_suspend(
            certification=cert,
            reason=self.rng.choice(REASONS[key]),
            by=self.people.decider,
            on=self._at(on),
            at_client_request=key in AT_CLIENT_REQUEST,
        )

    def withdraw(self, cert, on, key):
        cert.refresh_from_db()
        return svc.certification_withdraw(
            certification=cert,
            reason=self.rng.choice(REASONS[key]),
            by=self.people.decider,
            on=self._at(on),
            at_client_request=key in AT_CLIENT_REQUEST,
        )

    def expire(self, cert):
        cert.refresh_from_db()
        return svc.certification_expire(
            certification=cert, by=None, on=self._at(cert.expiry_date + DAY)
        )

    def granted_for_expiry(self, expiry_before_today: datetime.timedelta) -> datetime.date:
        """A grant date whose cycle expires about ``expiry_before_today`` before today."""
        return add_years(self.today - expiry_before_today + DAY, -policy("CYCLE_YEARS"))

    # -- scenarios: each returns the certification in its final state --------------------
    T = property(lambda self: self.today)

    def s_applied(self, client, std):
        return self.apply(client, std, self.T - self.r(0, 12), complete=self.rng.random() < 0.6)

    def s_under_review(self, client, std):
        received = self.T - self.r(8, 30)
        cert = self.apply(client, std, received, complete=self.rng.random() < 0.5)
        return svc.certification_start_review(
            certification=cert, by=self.people.staff, on=self._at(self.soon(1, 7))
        )

    def s_accepted(self, client, std):
        received = self.T - self.r(25, 60)
        cert = self.apply(client, std, received)
        return self.accept(cert, received + self.r(5, 20))

    def _rejected(self, client, std, received):
        short = self.rng.random() < 0.5
        cert = self.apply(
            client,
            std,
            received,
            complete=short,
            operating_since=received - self.r(30, 60) if short else None,
        )
        cert = svc.certification_start_review(
            certification=cert, by=self.people.staff, on=self._at(self.soon(2, 5))
        )
        return svc.certification_reject(
            certification=cert,
            reason=REASONS["reject"][1 if short else 0],
            by=self.people.staff,
            on=self._at(self.soon(5, 15)),
        )

    def s_rejected(self, client, std):
        return self._rejected(client, std, self.T - self.r(40, 240))

    def s_reapplied(self, client, std):
        self._rejected(client, std, self.T - self.r(200, 300))
        self.apply(client, std, self.T - self.r(3, 30))
        return Certification.objects.get(client=client, standard=std)

    def s_stage1(self, client, std):
        received = self.T - self.r(45, 75)
        cert = self.apply(client, std, received)
        cert = self.accept(cert, received + self.r(5, 12))
        cert, _ = self.plan_stage1(
            cert, self.T + self.r(4, 21), planned_on=self.between(self.T - days(10), self.T)
        )
        return cert

    def s_stage1_repeat(self, client, std):
        received = self.T - self.r(110, 150)
        cert = self.apply(client, std, received)
        cert = self.accept(cert, received + self.r(5, 12))
        s1 = received + self.r(25, 35)
        first, second = self.team(s1)
        cert, _ = self.stage1(cert, s1, planned_on=s1 - self.r(10, 15), ready=False, leader=first)
        again = self.T - self.r(5, 20)
        cert, _ = self.stage1(
            cert,
            again,
            planned_on=again - self.r(14, 21),
            leader=second,
            justification=STAGE1_REPEAT_JUSTIFICATION,
        )
        return cert

    def s_stage2(self, client, std):
        cert = self.to_stage1_done(client, std, self.T - self.r(80, 110))
        cert, _ = self.plan_stage2(
            cert, self.T + self.r(5, 25), planned_on=self.between(self.T - days(7), self.T)
        )
        return cert

    def s_stage2_in_progress(self, client, std):
        cert = self.to_stage1_done(client, std, self.T - self.r(80, 110))
        start = self.T - self.r(0, 1)
        cert, audit = self.plan_stage2(cert, start, planned_on=start - self.r(15, 25))
        audit = audit_svc.audit_start(audit=audit, by=audit.team_leader, on=self._at(start))
        for grade, clause, text in self.findings(std, minors=1, observations=1):
            audit_svc.finding_raise(
                audit=audit,
                grade=grade,
                clause=clause,
                description=text,
                by=audit.team_leader,
                on=self._at(self.T),
            )
        cert.refresh_from_db()
        return cert

    def _decision_pending(self, client, std, *, ended_ago, majors, minors):
        received = self.T - ended_ago - self.r(60, 80)
        cert = self.to_stage1_done(client, std, received)
        s2 = self.T - ended_ago - days(self._duration(client, 2) - 1)
        cert, _, raised = self.stage2(
            cert,
            s2,
            planned_on=s2 - self.r(10, 18),
            findings=self.findings(std, majors=majors, minors=minors),
        )
        return cert, raised

    def s_decision_pending(self, client, std):
        # The client has not sent its plan for every minor nonconformity yet.
        cert, raised = self._decision_pending(
            client, std, ended_ago=self.r(3, 20), majors=0, minors=2
        )
        self.resolve(raised[:1], self.soon(1, 5))
        return cert

    def s_decision_pending_ready(self, client, std):
        cert, raised = self._decision_pending(
            client, std, ended_ago=self.r(5, 15), majors=0, minors=None
        )
        self.resolve(raised, self.soon(1, 4))
        return cert

    def s_decision_pending_major(self, client, std):
        # A major whose corrective action is planned but not yet verified.
        cert, raised = self._decision_pending(
            client, std, ended_ago=self.r(20, 60), majors=1, minors=1
        )
        self.resolve(raised, self.soon(5, 15), verify_majors=False)
        return cert

    def s_refused(self, client, std):
        cert, raised = self._decision_pending(
            client, std, ended_ago=self.r(200, 300), majors=1, minors=1
        )
        stage2_end = cert.latest_stage2().actual_end
        self.resolve(raised, self.soon(15, 25), verify_majors=False)
        limit = add_months(stage2_end, policy("MAJOR_VERIFICATION_LIMIT_MONTHS"))
        svc.certification_refuse(
            certification=cert,
            reason=REASONS["refuse"][0],
            by=self.people.decider,
            on=self._at(self.between(limit + DAY, min(limit + days(15), self.T))),
        )
        return cert

    def _active(self, client, std, granted, *, plan_next=True):
        cert = self.certify(client, std, granted)
        cert = self.surveillances(cert, until=self.T, plan_next=plan_next)
        if plan_next:
            self.plan_recertification(cert)
        return cert

    def plan_recertification(self, cert):
        """Expiring within six months: the recertification audit is planned (policy)."""
        if cert.expiry_date - self.T > days(183) or cert.next_surveillance_due:
            return
        start = max(cert.expiry_date - self.r(60, 90), self.T + self.r(7, 21))
        end = start + days(self._duration(cert.client, 1))
        leader, member = self.team(start, end)
        self._at(self.plan_day(self.T, 0, 10))
        audit_svc.audit_plan(
            certification=cert,
            kind="recertification",
            planned_start=start,
            planned_end=end,
            team_leader=leader,
            members=[member],
            late_reason=LATE_REASON if end > cert.expiry_date else "",
            by=self.people.staff,
        )
        cert.refresh_from_db()

    def s_active_recent(self, client, std):
        return self._active(client, std, self.T - self.r(20, 330))

    def s_active_surv1(self, client, std):
        return self._active(client, std, self.T - self.r(400, 700))

    def s_active_surv2(self, client, std):
        return self._active(client, std, self.T - self.r(760, 1060))

    def s_active_overdue(self, client, std):
        # The first surveillance is past its due date; it is planned for the coming weeks.
        cert = self.certify(client, std, self.T - self.r(380, 430))
        start = self.T + self.r(5, 20)
        leader, _ = self.team(start, start + DAY)
        self._at(self.plan_day(self.T, 0, 5))
        audit_svc.audit_plan(
            certification=cert,
            kind="surveillance",
            planned_start=start,
            planned_end=start + DAY,
            team_leader=leader,
            late_reason=LATE_REASON,
            by=self.people.staff,
        )
        cert.refresh_from_db()
        return cert

    def s_active_recertified(self, client, std):
        granted = add_years(self.T, -policy("CYCLE_YEARS")) + days(self.rng.randint(-300, 25))
        cert = self.certify(client, std, granted)
        expiry = cert.expiry_date
        cert = self.surveillances(cert, until=expiry - days(120))
        start = min(expiry - self.r(40, 80), self.T - self.r(25, 45))
        cert = self.recert_audit(cert, start)
        on = self.between(self.last + days(5), min(expiry - DAY, self.T))
        svc.certification_recertify(
            certification=cert,
            by=self.people.decider,
            on=self._at(on),
            reason="再认证审核推荐继续认证 / Recertification audit recommends renewal.",
        )
        cert.refresh_from_db()
        return self.surveillances(cert, until=self.T, plan_next=True)

    def s_active_restored(self, client, std):
        cert = self.certify(client, std, self.granted_for_expiry(self.r(60, 150)))
        cert = self.surveillances(cert, until=cert.expiry_date)
        self.expire(cert)
        cert.refresh_from_db()
        cert = self.recert_audit(cert, cert.expiry_date + self.r(15, 30))
        svc.certification_restore_after_expiry(
            certification=cert,
            by=self.people.decider,
            on=self._at(self.soon(5, 15)),
            reason="在恢复期内完成再认证审核 / Recertification audit completed within the "
            "restoration window.",
        )
        cert.refresh_from_db()
        return cert

    def s_active_lifted(self, client, std):
        cert = self.certify(client, std, self.T - self.r(300, 800))
        suspended = self.T - self.r(60, 150)
        cert = self.surveillances(cert, until=suspended - days(10))
        self.suspend(cert, max(suspended, self.last + days(7)), "suspend_request")
        cert.refresh_from_db()
        start = self.last + self.r(20, 40)
        leader, _ = self.team(start)
        self._at(self.plan_day(start, 7, 14))
        audit = audit_svc.audit_plan(
            certification=cert,
            kind="special",
            planned_start=start,
            planned_end=start,
            team_leader=leader,
            by=self.people.staff,
        )
        self.run_audit(audit, start=start, end=start, recommendation=Recommendation.CONTINUE)
        cert.refresh_from_db()
        svc.certification_lift_suspension(
            certification=cert,
            reason=REASONS["lift"][0],
            by=self.people.decider,
            on=self._at(self.soon(3, 10)),
        )
        return self.surveillances(cert, until=self.T, plan_next=True)

    def s_active_extended(self, client, std):
        """The client applies to extend the scope; the review asks for a special audit, which
        is held and closed; then the decision issues the new version (or, where no time is
        left before today for an audit, the review records why none is needed)."""
        cert = self._active(client, std, self.T - self.r(200, 900), plan_next=False)
        cert.refresh_from_db()
        p = self.people
        added = self.rng.choice(SCOPE_EXTENSIONS)
        ext = svc.scope_extension_apply(
            certification=cert,
            received_on=self._at(self.soon(3, 20)),
            services=added.lstrip("；"),
            scope=cert.scope + added,
            sites=self.sites[-1:],
            by=p.staff,
        )
        start = self.last + self.r(14, 30)
        audit_needed = start + days(3) <= self.today
        ext = svc.scope_extension_review(
            extension=ext,
            audit_needed=audit_needed,
            justification="" if audit_needed else REASONS["extend"][0],
            by=p.staff,
            on=self._at(self.soon(2, 7)),
        )
        reason = REASONS["extend"][0]
        if audit_needed:
            start = max(start, self.last + days(7))
            leader, _ = self.team(start)
            ext, audit = svc.scope_extension_plan_audit(
                extension=ext,
                planned_start=start,
                planned_end=start,
                team_leader=leader,
                by=p.staff,
                on=self._at(self.plan_day(start, 5, 10)),
            )
            self.run_audit(audit, start=start, end=start, recommendation=Recommendation.CONTINUE)
            reason = REASONS["extend_audited"][0]
        svc.scope_extension_grant(
            extension=ext, reason=reason, by=p.decider, on=self._at(self.soon(1, 10))
        )
        cert.refresh_from_db()
        return cert

    def s_suspended(self, client, std):
        # The first surveillance was missed: suspended a few weeks after its due date.
        suspended = self.T - self.r(5, 150)
        cert = self.certify(client, std, add_months(suspended - self.r(15, 45), -12))
        self.suspend(cert, suspended, "suspend_missed")
        return cert

    def s_suspended_major(self, client, std):
        cert = self.certify(client, std, self.T - self.r(400, 480))
        cert = self.surveillances(cert, until=self.T - days(10), majors=1)
        self.suspend(cert, self.soon(3, 7), "suspend_major")
        return cert

    def s_suspended_request(self, client, std):
        cert = self.certify(client, std, self.T - self.r(200, 800))
        suspended = self.T - self.r(10, 100)
        cert = self.surveillances(cert, until=suspended - days(10))
        self.suspend(cert, max(suspended, self.last + days(7)), "suspend_request")
        return cert

    def s_withdrawn(self, client, std):
        # Suspended for a missed surveillance, not restored: withdrawn after the deadline.
        suspended = self.T - self.r(200, 330)
        cert = self.certify(client, std, add_months(suspended - self.r(15, 30), -12))
        self.suspend(cert, suspended, "suspend_missed")
        deadline = add_months(suspended, policy("SUSPENSION_MAX_MONTHS"))
        on = self.between(deadline + DAY, min(deadline + days(10), self.T))
        self.withdraw(cert, on, "withdraw_deadline")
        return cert

    def s_withdrawn_request(self, client, std):
        cert = self.certify(client, std, self.T - self.r(300, 900))
        withdrawn = self.T - self.r(10, 200)
        cert = self.surveillances(cert, until=withdrawn - days(10))
        self.withdraw(cert, max(withdrawn, self.last + days(7)), "withdraw_request")
        return cert

    def _expired(self, client, std, ago):
        cert = self.certify(client, std, self.granted_for_expiry(ago))
        cert = self.surveillances(cert, until=cert.expiry_date)
        self.expire(cert)
        return cert

    def s_expired(self, client, std):
        return self._expired(client, std, self.r(10, 150))

    def s_expired_window_closed(self, client, std):
        return self._expired(client, std, self.r(200, 500))


# =============================================================================================
# Bulk
# =============================================================================================
BULK_STATES = (
    (State.ACTIVE, 60), (State.SUSPENDED, 4), (State.WITHDRAWN, 5), (State.EXPIRED, 7),
    (State.APPLIED, 3), (State.UNDER_REVIEW, 3), (State.ACCEPTED, 3), (State.REJECTED, 2),
    (State.STAGE1, 4), (State.STAGE2, 4), (State.DECISION_PENDING, 4), (State.REFUSED, 1),
)  # fmt: skip
_BULK_STATE_LIST = [s for s, _ in BULK_STATES]
_BULK_STATE_CUM = list(accumulate(w for _, w in BULK_STATES))
CERTIFIED = {
    State.ACTIVE: CertificateStatus.CURRENT,
    State.SUSPENDED: CertificateStatus.SUSPENDED,
    State.WITHDRAWN: CertificateStatus.WITHDRAWN,
    State.EXPIRED: CertificateStatus.EXPIRED,
}
# Days before today the application was received, for states before certification.
_RECEIVED_AGO = {
    State.APPLIED: (0, 30),
    State.UNDER_REVIEW: (5, 45),
    State.ACCEPTED: (20, 90),
    State.REJECTED: (20, 600),
    State.STAGE1: (40, 150),
    State.STAGE2: (70, 200),
    State.DECISION_PENDING: (100, 240),
    State.REFUSED: (150, 900),
}
GRANT_REASON = "审核组推荐认证，不符合项已关闭 / Recommended by the audit team."


def _insert(model, objs, key_fields, batch_size=1000):
    """bulk_create that leaves every object with its pk: returned by the database where it
    can (PostgreSQL, SQLite >= 3.35), else read back by a key unique within ``objs``."""
    if not objs:
        return objs
    model.objects.bulk_create(objs, batch_size=batch_size)
    if objs[0].pk is not None:
        return objs
    first = key_fields[0]
    pks = {}
    for batch in _batched({getattr(o, first) for o in objs}, 900):
        rows = model.objects.filter(**{f"{first}__in": batch}).values_list("pk", *key_fields)
        for pk, *key in rows:
            pks[tuple(key)] = pk
    for o in objs:
        o.pk = pks[tuple(getattr(o, f) for f in key_fields)]
        o._state.adding = False
    return objs


@dataclass
class BulkPlan:
    """What one bulk client's certification looks like (dates relative to today)."""

    state: str
    received: datetime.date
    fields: dict = field(default_factory=dict)  # Certification fields
    decided_on: datetime.date | None = None  # of the refusal or the withdrawal


class BulkWriter:
    """Writes clients with bulk_create, one chunk per call (the caller opens a transaction)."""

    def __init__(self, *, rng, today, people: People, standards: dict):
        self.rng = rng
        self.today = today
        self.decider_id = people.decider.pk
        self.standards = standards
        self.prefix = policy("CERTIFICATE_NUMBER_PREFIX")
        self.max_age = (today - add_years(today, -policy("CYCLE_YEARS"))).days

    def d(self, lo, hi):
        return days(self.rng.randint(lo, hi))

    def between(self, lo, hi):
        return lo if hi <= lo else lo + days(self.rng.randint(0, (hi - lo).days))

    def write(self, serials: range) -> Counter:
        rng = self.rng
        profiles = [make_profile(rng, s) for s in serials]
        _dodge_collisions(profiles)
        clients = _insert(
            Client,
            # bulk_create skips Client.save(): fill the public name search fields here.
            [Client(**p.client).set_search_fields() for p in profiles],
            ("registration_id",),
        )
        sites = []
        for p, c in zip(profiles, clients, strict=True):
            sites.extend(Site(client_id=c.pk, **s) for s in p.sites)
        _insert(Site, sites, ("client_id", "name"))
        Contact.objects.bulk_create(
            (Contact(client_id=c.pk, **p.contact) for p, c in zip(profiles, clients, strict=True)),
            batch_size=1000,
        )
        sites_of = {}
        for s in sites:
            sites_of.setdefault(s.client_id, []).append(s.pk)

        plans, applications, standards = [], [], []
        for p, c in zip(profiles, clients, strict=True):
            std = pick_standard(rng, self.standards)
            plan = self.plan()
            r = plan.received
            plans.append(plan)
            standards.append(std)
            applications.append(
                Application(
                    client_id=c.pk,
                    received_on=r,
                    scope=scope_for(rng, std, c.country),
                    effective_personnel=c.effective_personnel,
                    language=p.language,
                    system_operating_since=r - self.d(95, 900),
                    internal_audit_on=r - self.d(30, 80),
                    management_review_on=r - self.d(5, 25),
                    no_penalty_declared=True,
                    legal_registration_checked=True,
                )
            )
        _insert(Application, applications, ("client_id",))
        Application.standards.through.objects.bulk_create(
            (
                Application.standards.through(application_id=a.pk, standard_id=s.pk)
                for a, s in zip(applications, standards, strict=True)
            ),
            batch_size=1000,
        )
        Application.sites.through.objects.bulk_create(
            (
                Application.sites.through(application_id=a.pk, site_id=site_id)
                for a in applications
                for site_id in sites_of[a.client_id]
            ),
            batch_size=1000,
        )

        certs = [
            Certification(
                client_id=a.client_id,
                standard_id=std.pk,
                application_id=a.pk,
                scope=a.scope,
                state=plan.state,
                **plan.fields,
            )
            for a, std, plan in zip(applications, standards, plans, strict=True)
        ]
        for cert, plan in zip(certs, plans, strict=True):
            if cert.cycle_start:
                self._surveillance_programme(cert, plan)
        _insert(Certification, certs, ("client_id", "standard_id"))
        self._number(certs, standards)

        decisions, grants = [], {}
        for cert, plan in zip(certs, plans, strict=True):
            for outcome, on, reason in plan_decisions(cert, plan):
                decision = Decision(
                    certification_id=cert.pk,
                    outcome=outcome,
                    decided_on=on,
                    decided_by_id=self.decider_id,
                    reason=reason,
                    # The bulk withdrawals are the client's request (plan_decisions).
                    at_client_request=outcome == DecisionOutcome.WITHDRAW,
                )
                decisions.append(decision)
                if outcome == DecisionOutcome.GRANT:
                    grants[cert.pk] = decision
        _insert(Decision, decisions, ("certification_id", "outcome"))
        Certificate.objects.bulk_create(
            (
                Certificate(
                    certification_id=cert.pk,
                    number=self._number_of(cert.pk, std),
                    number_key=number_key(self._number_of(cert.pk, std)),
                    version=1,
                    standard_id=std.pk,
                    scope=cert.scope,
                    effective_date=cert.cycle_start,
                    expiry_date=cert.expiry_date,
                    original_certification_date=cert.original_certification_date,
                    status=CERTIFIED[cert.state],
                    decision_id=grants[cert.pk].pk,
                )
                for cert, std in zip(certs, standards, strict=True)
                if cert.state in CERTIFIED
            ),
            batch_size=1000,
        )
        return Counter(cert.state for cert in certs)

    def _number_of(self, pk, std):
        return f"{self.prefix}-{std.certificate_code}-{pk:06d}"

    def _number(self, certs, standards):
        """Certificate numbers need the pk: one UPDATE per standard over the chunk's pks."""
        by_standard = {}
        for cert, std in zip(certs, standards, strict=True):
            if cert.state in CERTIFIED:
                cert.certificate_number = self._number_of(cert.pk, std)
                by_standard.setdefault(std, []).append(cert.pk)
        for std, pks in by_standard.items():
            pk_text = Cast("pk", CharField())
            Certification.objects.filter(
                pk__gte=min(pks), pk__lte=max(pks), standard=std, certificate_number=""
            ).filter(state__in=list(CERTIFIED)).update(
                certificate_number=Concat(
                    Value(f"{self.prefix}-{std.certificate_code}-"),
                    Case(
                        When(pk__lt=10**6, then=LPad(pk_text, 6, Value("0"))),
                        default=pk_text,
                    ),
                    output_field=CharField(),
                )
            )

    def plan(self) -> BulkPlan:
        rng, T = self.rng, self.today
        state = rng.choices(_BULK_STATE_LIST, cum_weights=_BULK_STATE_CUM)[0]
        if state not in CERTIFIED:
            lo, hi = _RECEIVED_AGO[state]
            received = T - self.d(lo, hi)
            refused_on = min(received + self.d(120, 200), T) if state == State.REFUSED else None
            return BulkPlan(state, received, decided_on=refused_on)
        if state == State.ACTIVE:
            start = T - self.d(0, self.max_age - 1)
        elif state == State.SUSPENDED:
            suspended_on = T - self.d(1, 200)
            start = self.between(T - days(self.max_age - 1), suspended_on - days(30))
        elif state == State.WITHDRAWN:
            start = T - self.d(120, 1800)
        else:  # expired
            expiry = T - self.d(1, 900)
            start = add_years(expiry + DAY, -policy("CYCLE_YEARS"))
        expiry = Certification.expiry_for(start)
        while state in (State.ACTIVE, State.SUSPENDED) and expiry < T:  # leap-day edge
            start += DAY
            expiry = Certification.expiry_for(start)
        plan = BulkPlan(state, start - self.d(90, 180))
        plan.fields = {
            "cycle_start": start,
            "expiry_date": expiry,
            "original_certification_date": start,
        }
        if state == State.SUSPENDED:
            plan.fields["suspended_on"] = suspended_on
            plan.fields["suspension_deadline"] = add_months(
                suspended_on, policy("SUSPENSION_MAX_MONTHS")
            )
        elif state == State.WITHDRAWN:
            plan.decided_on = self.between(start + days(60), min(expiry - DAY, T - DAY))
        elif state == State.EXPIRED:
            plan.fields["expired_on"] = expiry + DAY
        return plan

    def _surveillance_programme(self, cert, plan):
        """surveillances_done and next_surveillance_due as the programme would leave them."""
        T = self.today
        dues = cert.surveillance_due_dates()
        state = cert.state
        if state == State.EXPIRED:
            cert.surveillances_done, cert.next_surveillance_due = len(dues), None
            return
        until = {
            State.ACTIVE: T,
            State.SUSPENDED: cert.suspended_on,
            State.WITHDRAWN: plan.decided_on,
        }[state]
        done = sum(1 for due in dues if due - days(30) <= until)
        if state == State.ACTIVE and done and dues[done - 1] < T and self.rng.random() < 0.05:
            done -= 1  # the surveillance is overdue
        cert.surveillances_done = done
        cert.next_surveillance_due = (
            dues[done] if done < len(dues) and state != State.WITHDRAWN else None
        )


def plan_decisions(cert, plan: BulkPlan):
    """(outcome, date, reason) of the decisions a bulk certification carries."""
    state = cert.state
    if state == State.REFUSED:
        return [(DecisionOutcome.REFUSE, plan.decided_on, REASONS["refuse"][0])]
    if state not in CERTIFIED:
        return []
    out = [(DecisionOutcome.GRANT, cert.cycle_start, GRANT_REASON)]
    if state == State.SUSPENDED:
        out.append((DecisionOutcome.SUSPEND, cert.suspended_on, REASONS["suspend_missed"][0]))
    elif state == State.WITHDRAWN:
        out.append((DecisionOutcome.WITHDRAW, plan.decided_on, REASONS["withdraw_request"][0]))
    return out


def bulk_returns_pks() -> bool:
    return connection.features.can_return_rows_from_bulk_insert
