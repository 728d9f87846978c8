"""Audit time of an application (IAF MD 5, MD 11, MD 1; ISO/IEC 20000-6 9.1.4): calculate it
for every standard applied for and keep the whole trace with the application. The arithmetic
is the rest of this package; this module loads the tables, checks who may do it and stores the
result. An application cannot be accepted without a calculation covering its standard
(``certificates.rules.audit_time_calculated``)."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.policy import policy

from ..errors import AuditError
from .calculation import calculate
from .inputs import AuditTimeInputError, fmt
from .models import AuditTimeCalculation, AuditTimeTable
from .tables import Table

MSG_NO_PERMISSION = _("You do not have permission to calculate audit time.")
MSG_NO_STANDARDS = _("The application names no standard: add its standards first.")
MSG_NO_TABLE = _(
    "There is no audit-time table for %(standard)s: add one (Audit-time tables) before calculating."
)
MSG_NOT_A_DATE = _("The calculation date is missing.")

PERMISSION = "audits.add_audittimecalculation"


def _tables(application) -> list[Table]:
    standards = list(application.standards.all())
    if not standards:
        raise AuditError(MSG_NO_STANDARDS)
    found = {
        t.standard_id: t
        for t in AuditTimeTable.objects.filter(standard__in=standards)
        .select_related("standard")
        .prefetch_related("rows")
    }
    tables = []
    for standard in standards:
        table = found.get(standard.pk)
        if table is None:
            raise AuditError(MSG_NO_TABLE % {"standard": standard})
        tables.append(Table.from_model(table, rows=list(table.rows.all())))
    return tables


def _other_sites(application) -> int | None:
    """Sites in scope besides the central function, when there are several (MD 1)."""
    sites = list(application.sites.all())
    if len(sites) < 2:
        return None
    return sum(1 for s in sites if not s.is_central)


def _plain(value):
    """Inputs as stored JSON: Decimals and numbers as text, the rest as given."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, float, Decimal)):
        return fmt(Decimal(str(value)))
    return str(value)


def _factor_inputs(factors) -> list[dict]:
    out = []
    for f in factors or ():
        if isinstance(f, dict):
            out.append({"percent": f.get("percent"), "justification": f.get("justification", "")})
        elif hasattr(f, "percent"):
            out.append({"percent": f.percent, "justification": f.justification})
        else:
            percent, why = f
            out.append({"percent": percent, "justification": why})
    return out


def audit_time_preview(
    *,
    application,
    factors=(),
    integration_reduction=None,
    sites=(),
    personnel=None,
):
    """The calculation for ``application`` without storing it (``audits.audit_time``'s
    Calculation). Bad input raises AuditError naming the field or factor."""
    tables = _tables(application)
    try:
        return calculate(
            tables=tables,
            personnel=application.effective_personnel if personnel in (None, "") else personnel,
            factors=factors,
            integration_reduction=integration_reduction,
            sites=sites,
            other_sites=_other_sites(application),
        )
    except AuditTimeInputError as err:
        raise AuditError(*err.messages) from None


def audit_time_calculate(
    *,
    application,
    by,
    on: datetime.date,
    factors=(),
    integration_reduction=None,
    sites=(),
    personnel=None,
) -> AuditTimeCalculation:
    """Calculate the audit time of the whole cycle for every standard of ``application`` and
    store it, with its inputs and trace, as the application's current calculation.

    ``factors``: adjustment factors applied to every standard, each ``{"percent",
    "justification"}`` or ``(percent, justification)`` (+10 increases, -5 reduces).
    ``integration_reduction``: ``{"percent", "justification"}`` for an integrated audit of
    several standards (IAF MD 11). ``sites``: the sites visited in the sample, each
    ``{"name", "personnel", "reduction_percent", "justification"}`` (IAF MD 1).
    ``personnel``: effective personnel (default: the application's).
    """
    if not isinstance(on, datetime.date):
        raise AuditError(MSG_NOT_A_DATE)
    if by is not None and not by.has_perm(PERMISSION):
        raise AuditError(MSG_NO_PERMISSION)
    if personnel in (None, ""):
        personnel = application.effective_personnel
    result = audit_time_preview(
        application=application,
        factors=factors,
        integration_reduction=integration_reduction,
        sites=sites,
        personnel=personnel,
    )
    integration = integration_reduction
    if isinstance(integration, (tuple, list)):
        integration = {"percent": integration[0], "justification": integration[1]}
    inputs = _plain(
        {
            "personnel": personnel,
            "standards": [
                {
                    "standard": s.key,
                    "label": s.standard,
                    "source": s.source,
                    "is_stand_in": s.is_stand_in,
                    "base_days": s.base_days,
                }
                for s in result.standards
            ],
            "factors": _factor_inputs(factors),
            "integration_reduction": integration,
            "sites": [
                s if isinstance(s, dict) else dict(zip(_SITE_KEYS, s, strict=False))
                for s in (sites or ())
            ],
            "other_sites": _other_sites(application),
            "sample_sizes": result.sample_sizes,
            "policy": {
                name: policy(name)
                for name in (
                    "AUDIT_TIME_STAGE1_PERCENT",
                    "AUDIT_TIME_MIN_ONSITE_PERCENT",
                    "AUDIT_TIME_MAX_REDUCTION_PERCENT",
                    "AUDIT_TIME_MAX_INTEGRATION_PERCENT",
                    "AUDIT_TIME_MAX_SITE_REDUCTION_PERCENT",
                    "SURVEILLANCE_TIME_FRACTION",
                    "RECERTIFICATION_TIME_FRACTION",
                )
            },
        }
    )
    total = result.total
    with transaction.atomic():
        return AuditTimeCalculation.objects.create(
            application=application,
            calculated_on=on,
            calculated_by=by,
            inputs=inputs,
            trace=result.trace,
            results=result.results(),
            initial_days=total.initial,
            stage1_days=total.stage1,
            stage2_days=total.stage2,
            onsite_min_days=total.onsite_min,
            surveillance_days=total.surveillance,
            recertification_days=total.recertification,
            uses_stand_in=result.uses_stand_in,
        )


_SITE_KEYS = ("name", "personnel", "reduction_percent", "justification")

__all__ = ["audit_time_calculate", "audit_time_preview"]
