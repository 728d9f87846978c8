"""The columns of a client list: the fields, their headers on export and the headers accepted.

Headers are matched as every import matches them (infra/tabular/columns.py): full-width
characters made half-width, case ignored, and everything but letters, digits and Chinese
characters dropped, so "Company Name", "company_name", "COMPANY-NAME" and "公司名称*" all match;
a qualifier in brackets, full-width or not, is tried without it when the header does not match
as it is ("企业名称(全称)" is 企业名称). The canonical field name itself (e.g. ``legal_name``) is
accepted too. Headers that match nothing are reported, never silently dropped.

==========================  =================================  =====================================
Field                       Header on export (zh / en)         Also accepted
==========================  =================================  =====================================
legal_name (required)       企业名称 / Company name            公司名称, 单位名称, 组织名称,
                                                               客户名称, 名称, legal name, company,
                                                               organisation name, organization name,
                                                               name, client name
registration_id (required)  统一社会信用代码 /                 信用代码, 社会信用代码, 统一信用代码,
                            Unified social credit code         注册号, credit code, uscc,
                                                               registration id, registration number,
                                                               registration no
english_name                英文名称 / English name
country                     国家 / Country                     (an ISO 3166 code, e.g. CN;
                                                               empty: CN)
city (required)             城市 / City                        所在城市, 所在地, town
address (required)          地址 / Address                     注册地址, 经营地址, 详细地址,
                                                               registered address
effective_personnel         员工人数 / Employees               人数, 有效人数, 职工人数, 员工数,
(required)                                                     headcount, effective personnel,
                                                               number of employees, staff
standard                    认证标准 / Standard                标准, 申请标准,
                                                               certification standard,
                                                               standard applied for
scope                       认证范围 / Scope                   范围, 申请范围, certification scope
system_operating_since      体系运行日期 /                     体系运行时间, 体系运行开始日期,
                            Management system operating since  system operating since,
                                                               operating since, ms operating since
contact_name                联系人 / Contact                   联系人姓名, contact person,
                                                               contact name
contact_phone               联系电话 / Phone                   电话, 手机, 手机号, 联系方式,
                                                               telephone, tel, mobile, contact phone
contact_email               电子邮箱 / Email                   邮箱, 电子邮件, email address,
                                                               e-mail, mail, contact email
sites                       其他场所 / Other sites             场所, 多场所, sites, additional sites
==========================  =================================  =====================================

Other sites: one entry per site written 名称|城市|地址 (name|city|address), entries separated by
";" or line breaks, e.g. ``二厂|苏州|工业园区星湖街 1 号; 仓库|无锡|新吴区 8 号``.

Dates (infra/tabular/values.py, ``parse_date``): 2024-03-05, 2024/3/5, 2024.3.5, 20240305,
2024年3月5日 (also with full-width digits, and with a time after it, which is ignored); the year
always comes first and has four digits. In an XLSX file a cell formatted as a date is taken as
that date.

Whole numbers (``parse_int``): 1234, 1,234, +12, -12, 1234.0; full-width digits too.
"""

from django.utils.translation import gettext_lazy as _

from infra.tabular import Column, header_index

SITES_FORMAT_HELP = _(
    "Other sites: one entry per site written 名称|城市|地址 (name|city|address), entries "
    'separated by ";" or line breaks.'
)


CLIENT_COLUMNS: dict[str, Column] = {
    "legal_name": Column(
        "企业名称",
        "Company name",
        (
            "公司名称",
            "单位名称",
            "组织名称",
            "客户名称",
            "名称",
            "legal name",
            "company",
            "organisation name",
            "organization name",
            "name",
            "client name",
        ),
        required=True,
    ),
    "registration_id": Column(
        "统一社会信用代码",
        "Unified social credit code",
        (
            "信用代码",
            "社会信用代码",
            "统一信用代码",
            "注册号",
            "credit code",
            "uscc",
            "registration id",
            "registration number",
            "registration no",
        ),
        required=True,
    ),
    "english_name": Column("英文名称", "English name"),
    "country": Column("国家", "Country"),
    "city": Column("城市", "City", ("所在城市", "所在地", "town"), required=True),
    "address": Column(
        "地址", "Address", ("注册地址", "经营地址", "详细地址", "registered address"), required=True
    ),
    "effective_personnel": Column(
        "员工人数",
        "Employees",
        (
            "人数",
            "有效人数",
            "职工人数",
            "员工数",
            "headcount",
            "effective personnel",
            "number of employees",
            "staff",
        ),
        required=True,
    ),
    "standard": Column(
        "认证标准",
        "Standard",
        ("标准", "申请标准", "certification standard", "standard applied for"),
    ),
    "scope": Column("认证范围", "Scope", ("范围", "申请范围", "certification scope")),
    "system_operating_since": Column(
        "体系运行日期",
        "Management system operating since",
        (
            "体系运行时间",
            "体系运行开始日期",
            "system operating since",
            "operating since",
            "ms operating since",
        ),
    ),
    "contact_name": Column("联系人", "Contact", ("联系人姓名", "contact person", "contact name")),
    "contact_phone": Column(
        "联系电话",
        "Phone",
        ("电话", "手机", "手机号", "联系方式", "telephone", "tel", "mobile", "contact phone"),
    ),
    "contact_email": Column(
        "电子邮箱",
        "Email",
        ("邮箱", "电子邮件", "email address", "e-mail", "mail", "contact email"),
    ),
    "sites": Column("其他场所", "Other sites", ("场所", "多场所", "sites", "additional sites")),
}
header_index(CLIENT_COLUMNS)  # fail at import if two fields accept the same header
