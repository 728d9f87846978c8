"""Audit time: the inputs of the calculation, cleaned (``calculation`` documents the steps).

Numbers are Decimals (``to_decimal`` reads "+10", "-5", "12.5", "10%"); rounding is to half
days (``round_half_days``, ``ceil_half_days``); ``fmt`` writes them without trailing zeros.
Factors, the integration reduction and the sampled sites come as values, dicts or tuples and
leave as ``Factor``, ``Reduction`` and ``SampledSite``, or raise ``AuditTimeInputError``
naming the field or the factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

HUNDRED = Decimal(100)
HALF = Decimal("0.5")


class AuditTimeInputError(DomainError):
    """The input cannot be calculated; the message names the field or factor."""


# -- messages --------------------------------------------------------------------------------
MSG_SITE_PERSONNEL = _(
    "Site “%(site)s”: personnel must be a whole number of at least 1 (got %(value)s)."
)
MSG_PERCENT = _("%(what)s: “%(value)s” is not a percentage.")
MSG_FACTOR_ZERO = _("Factor %(n)d: a factor of 0%% changes nothing; remove it.")
MSG_FACTOR_BELOW = _("Factor %(n)d (%(percent)s%%): a reduction cannot exceed 100%%.")
MSG_FACTOR_JUSTIFICATION = _(
    "Factor %(n)d (%(percent)s%%) has no justification: record why the time is %(direction)s."
)
MSG_INTEGRATION_NEGATIVE = _("The integration reduction cannot be negative (got %(percent)s%%).")
MSG_INTEGRATION_JUSTIFICATION = _(
    "The integration reduction (%(percent)s%%) has no justification: record the level of "
    "integration of the management systems (IAF MD 11)."
)
MSG_SITE_NAME = _("Site %(n)d has no name.")
MSG_SITE_NEGATIVE = _("Site “%(site)s”: the reduction cannot be negative (got %(percent)s%%).")
MSG_SITE_JUSTIFICATION = _("Site “%(site)s”: the reduction of %(percent)s%% has no justification.")

DIRECTION = {True: _("increased"), False: _("reduced")}


# -- numbers -----------------------------------------------------------------------------------
def fmt(value) -> str:
    """A Decimal without trailing zeros: 1.5, 2, 12, 0.35."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + fmt(value)


def round_half_days(value: Decimal) -> Decimal:
    """To the nearest half day, halves up: 1.25 -> 1.5, 1.75 -> 2, 1.2 -> 1, 1.3 -> 1.5."""
    return (Decimal(value) * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2


def ceil_half_days(value: Decimal) -> Decimal:
    """Up to the next half day: a minimum stays a minimum (9.6 -> 10, 9.5 -> 9.5)."""
    return (Decimal(value) * 2).quantize(Decimal(1), rounding=ROUND_CEILING) / 2


def to_decimal(value, *, what) -> Decimal:
    """A percentage given as number or text ("+10", "-5", "12.5", "10%")."""
    if isinstance(value, bool):
        raise AuditTimeInputError(MSG_PERCENT % {"what": what, "value": value})
    text = str(value).strip().replace("%", "").replace(" ", "") if value is not None else ""
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        raise AuditTimeInputError(MSG_PERCENT % {"what": what, "value": value}) from None
    if not d.is_finite():
        raise AuditTimeInputError(MSG_PERCENT % {"what": what, "value": value})
    return d


def parse_fraction(text) -> Fraction:
    """A policy fraction such as "1/3" or "0.333"."""
    return Fraction(str(text).strip())


def whole_people(value, message, **params) -> int:
    if isinstance(value, bool):
        raise AuditTimeInputError(message % {**params, "value": value})
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise AuditTimeInputError(message % {**params, "value": value}) from None
    if not d.is_finite() or d != d.to_integral_value() or d < 1:
        raise AuditTimeInputError(message % {**params, "value": value})
    return int(d)


@dataclass(frozen=True)
class Factor:
    """An adjustment: +10 increases the time by 10% of the table time, -5 reduces it."""

    percent: Decimal
    justification: str


@dataclass(frozen=True)
class Reduction:
    percent: Decimal
    justification: str = ""


@dataclass(frozen=True)
class SampledSite:
    """A site visited in the sample, with its personnel and its own reduction (IAF MD 1)."""

    name: str
    personnel: int
    reduction_percent: Decimal = Decimal(0)
    justification: str = ""


def clean_factors(factors) -> list[Factor]:
    result = []
    for n, raw in enumerate(factors or (), start=1):
        if isinstance(raw, Factor):
            percent, why = raw.percent, raw.justification
        elif isinstance(raw, dict):
            percent, why = raw.get("percent"), raw.get("justification", "")
        else:
            percent, why = raw
        percent = to_decimal(percent, what=_("Factor %(n)d") % {"n": n})
        why = (why or "").strip()
        if percent == 0:
            raise AuditTimeInputError(MSG_FACTOR_ZERO % {"n": n})
        if percent <= -HUNDRED:
            raise AuditTimeInputError(MSG_FACTOR_BELOW % {"n": n, "percent": signed(percent)})
        if not why:
            raise AuditTimeInputError(
                MSG_FACTOR_JUSTIFICATION
                % {
                    "n": n,
                    "percent": signed(percent),
                    "direction": DIRECTION[percent > 0],
                }
            )
        result.append(Factor(percent, why))
    return result


def clean_reduction(value) -> Reduction | None:
    if value is None or value == "":
        return None
    if isinstance(value, Reduction):
        percent, why = value.percent, value.justification
    elif isinstance(value, dict):
        percent, why = value.get("percent"), value.get("justification", "")
    elif isinstance(value, (tuple, list)):
        percent, why = value
    else:
        percent, why = value, ""
    if percent in (None, ""):
        return None
    percent = to_decimal(percent, what=_("Integration reduction"))
    if percent < 0:
        raise AuditTimeInputError(MSG_INTEGRATION_NEGATIVE % {"percent": fmt(percent)})
    why = (why or "").strip()
    if percent > 0 and not why:
        raise AuditTimeInputError(MSG_INTEGRATION_JUSTIFICATION % {"percent": fmt(percent)})
    return Reduction(percent, why) if percent > 0 else None


def clean_sites(sites) -> list[SampledSite]:
    result = []
    for n, raw in enumerate(sites or (), start=1):
        if isinstance(raw, SampledSite):
            name, personnel, percent, why = (
                raw.name,
                raw.personnel,
                raw.reduction_percent,
                raw.justification,
            )
        elif isinstance(raw, dict):
            name = raw.get("name", "")
            personnel = raw.get("personnel")
            percent = raw.get("reduction_percent", 0)
            why = raw.get("justification", "")
        else:
            name, personnel, percent, why = raw
        name = (name or "").strip()
        if not name:
            raise AuditTimeInputError(MSG_SITE_NAME % {"n": n})
        personnel = whole_people(personnel, MSG_SITE_PERSONNEL, site=name)
        percent = to_decimal(
            percent if percent not in (None, "") else 0,
            what=_("Site “%(site)s”") % {"site": name},
        )
        if percent < 0:
            raise AuditTimeInputError(MSG_SITE_NEGATIVE % {"site": name, "percent": fmt(percent)})
        why = (why or "").strip()
        if percent > 0 and not why:
            raise AuditTimeInputError(
                MSG_SITE_JUSTIFICATION % {"site": name, "percent": fmt(percent)}
            )
        result.append(SampledSite(name, personnel, percent, why))
    return result
