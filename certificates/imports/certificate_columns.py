"""Columns of an existing-certificates file (certificate_import.py).

Headers are matched as for client lists (:func:`infra.tabular.columns.map_headers`: case,
spaces, punctuation and full-width characters do not matter; a qualifier in brackets is tried
without it).

Each field with its header in Chinese / English (both accepted; the aliases in
CERTIFICATE_COLUMNS below are accepted too, e.g. 证书号, 有效期至, 下次监督日期):

- certificate_number (required): 证书编号 / Certificate number (the stable key);
- registration_id (required): 统一社会信用代码 / Unified social credit code (the client must
  already be in certbody: import the client list first);
- legal_name: 企业名称 / Company name (only checked loosely against the client's name);
- standard (required): 认证标准 / Standard (as in client lists, e.g. ISO/IEC 20000-1:2018);
- scope (required): 认证范围 / Scope;
- original_certification_date: 初次认证日期 / Original certification date (default: the
  issue date);
- issue_date (required): 颁证日期 / Issue date (the current cycle starts on it; 发证日期 too);
- expiry_date (required): 到期日期 or 有效期至 / Expiry date;
- status (required): 证书状态 / Status;
- last_audit_date: 上次审核日期 / Last audit date;
- next_audit_date: 下次审核日期 / Next audit date (the next surveillance is due then);
- source: 来源 / Source.

Values (case, spaces and full-width characters do not matter):

- status: 有效 / Active (also "valid"), 暂停 / Suspended, 撤销 / Withdrawn (also "revoked"),
  注销 / Cancelled (withdrawn at the client's request: it does not bar a new application),
  过期 or 失效 / Expired;
- source: 迁移 / Migrated (the default when empty: the body's own certificate from its previous
  system), 转入 / Transferred (a certificate transferred from another body, IAF MD 2).

Dates as in client lists (:func:`infra.tabular.values.parse_date`).
"""

from django.utils.translation import gettext_lazy as _

from clients.imports.columns import CLIENT_COLUMNS
from infra.tabular import Column, header_index, normalise_text

from ..models import Ending, State

CERTIFICATE_COLUMNS: dict[str, Column] = {
    "certificate_number": Column(
        "证书编号",
        "Certificate number",
        ("证书号", "证书号码", "证书编码", "certificate no", "cert no", "certificate id"),
        required=True,
    ),
    # The same as the client list's: one credit code column however a file names it.
    "registration_id": CLIENT_COLUMNS["registration_id"],
    "legal_name": Column(
        "企业名称",
        "Company name",
        (
            "公司名称",
            "单位名称",
            "组织名称",
            "客户名称",
            "获证组织",
            "获证组织名称",
            "company",
            "organisation name",
            "organization name",
            "client name",
            "legal name",
        ),
    ),
    "standard": Column(
        "认证标准", "Standard", ("标准", "认证依据", "certification standard"), required=True
    ),
    "scope": Column(
        "认证范围",
        "Scope",
        ("范围", "证书范围", "certification scope", "scope of certification"),
        required=True,
    ),
    "original_certification_date": Column(
        "初次认证日期",
        "Original certification date",
        (
            "初次发证日期",
            "首次认证日期",
            "初始认证日期",
            "首次发证日期",
            "initial certification date",
            "original date",
        ),
    ),
    "issue_date": Column(
        "颁证日期",
        "Issue date",
        ("发证日期", "签发日期", "证书颁发日期", "发证时间", "date of issue", "issued on", "issue"),
        required=True,
    ),
    "expiry_date": Column(
        "到期日期",
        "Expiry date",
        (
            "有效期至",
            "证书到期日期",
            "有效期截止日期",
            "截止日期",
            "到期日",
            "expiry",
            "expiration date",
            "expires on",
            "valid until",
        ),
        required=True,
    ),
    "status": Column("证书状态", "Status", ("状态", "certificate status"), required=True),
    "last_audit_date": Column(
        "上次审核日期",
        "Last audit date",
        ("最近审核日期", "最近一次审核日期", "last audit", "date of last audit"),
    ),
    "next_audit_date": Column(
        "下次审核日期",
        "Next audit date",
        (
            "下次监督日期",
            "下次监督审核日期",
            "next audit",
            "next surveillance",
            "next surveillance due",
            "next surveillance date",
        ),
    ),
    "source": Column("来源", "Source", ("证书来源", "origin")),
}
header_index(CERTIFICATE_COLUMNS)  # fail at import if two fields accept the same header

# Certificate status as written -> the state the certification is imported into.
STATUS_VALUES: dict[str, str] = {
    "有效": State.ACTIVE,
    "active": State.ACTIVE,
    "valid": State.ACTIVE,
    "暂停": State.SUSPENDED,
    "suspended": State.SUSPENDED,
    "撤销": State.WITHDRAWN,
    "withdrawn": State.WITHDRAWN,
    "revoked": State.WITHDRAWN,
    "注销": State.WITHDRAWN,
    "cancelled": State.WITHDRAWN,
    "canceled": State.WITHDRAWN,
    "过期": State.EXPIRED,
    "失效": State.EXPIRED,
    "expired": State.EXPIRED,
}
# Cancelled (注销) is a withdrawal by its kind of ending: the file cannot say whether the client
# asked for it or ceased the certified activities; either way it is not for its failings.
STATUS_ENDINGS: dict[str, str] = {
    "注销": Ending.CLIENT_REQUEST,
    "cancelled": Ending.CLIENT_REQUEST,
    "canceled": Ending.CLIENT_REQUEST,
}
STATUS_HELP = _(
    "one of 有效/Active, 暂停/Suspended, 撤销/Withdrawn, 注销/Cancelled, 过期/失效/Expired"
)

MIGRATED, TRANSFERRED = "migrated", "transferred"
SOURCE_VALUES: dict[str, str] = {
    "迁移": MIGRATED,
    "migrated": MIGRATED,
    "migration": MIGRATED,
    "转入": TRANSFERRED,
    "transferred": TRANSFERRED,
    "transfer": TRANSFERRED,
}
SOURCE_HELP = _("one of 迁移/Migrated (the default) or 转入/Transferred")


def value_key(text) -> str:
    """How a status or source is matched: normalised, case-folded, without spaces."""
    return normalise_text(text).casefold().replace(" ", "")
