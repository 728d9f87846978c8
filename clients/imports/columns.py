"""Column headers, text, dates and numbers as people write them in client spreadsheets.

Headers are matched on a key (:func:`header_key`): full-width characters made half-width,
case ignored, and everything but letters, digits and Chinese characters dropped, so
"Company Name", "company_name", "COMPANY-NAME" and "公司名称*" all match; a qualifier in
brackets, full-width or not, is tried without it when the header does not match as it is
("企业名称(全称)" is 企业名称). The canonical field name itself (e.g. ``legal_name``) is
accepted too. Headers that match nothing
are reported, never silently dropped.

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

Dates (:func:`parse_date`): 2024-03-05, 2024/3/5, 2024.3.5, 20240305, 2024年3月5日 (also with
full-width digits, and with a time after it, which is ignored); the year always comes first and
has four digits. In an XLSX file a cell formatted as a date is taken as that date.

Whole numbers (:func:`parse_int`): 1234, 1,234, +12, -12, 1234.0; full-width digits too.
"""

import datetime
import math
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

DATE_FORMATS_HELP = _(
    "Dates are read as 2024-03-05, 2024/3/5, 2024.3.5, 20240305 or 2024年3月5日: the year first, "
    "with four digits (full-width digits are fine). In an XLSX file a cell formatted as a date "
    "is read as that date."
)
SITES_FORMAT_HELP = _(
    "Other sites: one entry per site written 名称|城市|地址 (name|city|address), entries "
    'separated by ";" or line breaks.'
)


def normalise_text(value) -> str:
    """``value`` as text: None is ""; full-width letters, digits and punctuation made half-width
    (NFKC), leading and trailing whitespace removed, and every run of whitespace inside (spaces,
    the ideographic space U+3000, no-break spaces, tabs, line breaks) made one space. A
    zero-width space or a stray byte order mark (pasted from web pages and Word) is dropped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if "\u200b" in text or "\ufeff" in text:
            text = text.replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def display_value(value, limit: int = 40) -> str:
    """``value`` as quoted in a message: normalised, and cut to ``limit`` characters."""
    text = value.isoformat() if isinstance(value, datetime.date) else normalise_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- Dates -----------------------------------------------------------------------------------

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_PATTERNS = (
    re.compile(r"([1-9]\d{3})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME),  # 2024-03-05, 2024/3/5
    re.compile(r"([1-9]\d{3})()(\d{2})(\d{2})"),  # 20240305
    re.compile(r"([1-9]\d{3}) ?(年) ?(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]?"),  # 2024年3月5日
)
_YEAR_LAST = re.compile(r"\d{1,2}([-/.])\d{1,2}\1\d{4}" + _TIME)
_SHORT_YEAR = re.compile(r"\d{2}([-/.])\d{1,2}\1\d{1,2}|\d{2} ?年 ?\d{1,2} ?月 ?\d{1,2} ?[日号]?")


def parse_date(value) -> datetime.date:
    """A date written as 2024-03-05, 2024/3/5, 2024.3.5, 20240305 or 2024年3月5日 (full-width
    digits too; a time after the date is ignored); ``date`` and ``datetime`` values (XLSX date
    cells) pass through as dates. Raises ValueError with a message a person understands."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = normalise_text(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, _sep, month, day = match.groups()
            try:
                return datetime.date(int(year), int(month), int(day))
            except ValueError:
                message = _('not a date: "%(value)s" (there is no such day)')
                raise ValueError(message % {"value": display_value(text)}) from None
    if _YEAR_LAST.fullmatch(text):
        message = _(
            'not a date: "%(value)s" (write the year first, e.g. 2024-03-05: with the year '
            "last, day and month can be read either way)"
        )
    elif _SHORT_YEAR.fullmatch(text):
        message = _('not a date: "%(value)s" (write the year with four digits, e.g. 2024-03-05)')
    elif isinstance(value, int | float) and not isinstance(value, bool):
        message = _(
            'not a date: "%(value)s" (the cell holds a number: format the column as a date in '
            "Excel, or write e.g. 2024-03-05)"
        )
    else:
        message = _(
            'not a date: "%(value)s" (use e.g. 2024-03-05, 2024/3/5, 20240305 or 2024年3月5日)'
        )
    raise ValueError(message % {"value": display_value(text)})


# -- Whole numbers ---------------------------------------------------------------------------

_MINUS = "\u2212"  # the minus sign, as some systems write negative numbers
_INT = re.compile(r"([+\-" + _MINUS + r"]?)(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.0+)?")


def parse_int(value) -> int:
    """A whole number: 1234, "1234", "1,234", full-width digits, "+5", "-5", "1234.0", or an
    integral float from an XLSX cell. The sign is kept: whether a negative number is allowed is
    for the caller. Raises ValueError with a message a person understands."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    text = normalise_text(value)
    match = _INT.fullmatch(text) if not isinstance(value, bool | float) else None
    if match is None:
        raise ValueError(
            _('not a whole number: "%(value)s" (write digits only, e.g. 1234 or 1,234)')
            % {"value": display_value(text)}
        )
    sign, digits = match.groups()
    number = int(digits.replace(",", "").replace(" ", ""))
    return -number if sign in ("-", _MINUS) else number


# -- Headers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One importable column: the headers written on export and those accepted on import."""

    label_zh: str  # the header written on export in Chinese, e.g. "企业名称"
    label_en: str  # ... in English, e.g. "Company name"
    aliases: tuple[str, ...] = ()  # other accepted headers (zh and en)
    required: bool = False

    def headers(self) -> tuple[str, ...]:
        """Every header accepted for this column."""
        return (self.label_zh, self.label_en, *self.aliases)


@dataclass
class ColumnMap:
    fields: dict[str, int]  # canonical field -> column index (0-based), in file order
    unknown: list[str]  # headers that matched nothing (in file order)
    missing: list[str]  # required canonical fields absent
    # canonical field -> every header in the file that matched it, when more than one did
    # (e.g. both 企业名称 and 公司名称); ``fields`` holds the first of them.
    ambiguous: dict[str, list[str]] = field(default_factory=dict)


_QUALIFIER = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")


def header_key(text) -> str:
    """The key headers are matched on: normalised (NFKC), case-folded, and only letters,
    digits and Chinese characters kept (spaces, "_", "-", "/", brackets, "*" ... dropped)."""
    return "".join(ch for ch in normalise_text(text).casefold() if ch.isalnum())


def _header_index(columns: dict[str, Column]) -> dict[str, str]:
    """header key -> canonical field; a header claimed by two fields is a programming error."""
    index: dict[str, str] = {}
    for name, column in columns.items():
        for header in (name, *column.headers()):
            key = header_key(header)
            claimed = index.setdefault(key, name)
            if claimed != name:
                raise ValueError(f"header {header!r} is accepted for both {claimed} and {name}")
    return index


def map_headers(headers: list[str], columns: dict[str, Column]) -> ColumnMap:
    """Which column of the file holds which field (see the table at the top of this module)."""
    index = _header_index(columns)
    fields: dict[str, int] = {}
    unknown: list[str] = []
    seen: dict[str, list[str]] = {}
    for position, header in enumerate(headers):
        name = index.get(header_key(header))
        if name is None:
            name = index.get(header_key(_QUALIFIER.sub("", normalise_text(header))))
        if name is None:
            unknown.append(header)
            continue
        seen.setdefault(name, []).append(header)
        fields.setdefault(name, position)
    missing = [name for name, column in columns.items() if column.required and name not in fields]
    ambiguous = {name: found for name, found in seen.items() if len(found) > 1}
    return ColumnMap(fields=fields, unknown=unknown, missing=missing, ambiguous=ambiguous)


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
_header_index(CLIENT_COLUMNS)  # fail at import if two fields accept the same header
