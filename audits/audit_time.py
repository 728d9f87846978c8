"""Audit time, the arithmetic (IAF MD 5, IAF MD 11, IAF MD 1; ISO/IEC 20000-6 9.1.4).

Pure calculation: no database. ``calculate`` takes the tables of the standards audited (as
``Table`` values, see ``Table.from_model``), the effective personnel and the adjustments, and
returns the figures of the whole certification cycle with a printable trace, in the order an
assessor checks it:

1. base days from the table band that contains the personnel; above the last band the
   progression continues (each further band ``beyond_band_width`` people wide, growing by
   ``beyond_band_growth_percent``, adding ``beyond_band_days``);
2. adjustment factors, each a signed percentage of the table time with a justification:
   increases add up, reductions add up and are capped at AUDIT_TIME_MAX_REDUCTION_PERCENT
   (IAF MD 5: at most 30% of the table time);
3. multi-site (IAF MD 1): with sampled sites given, each site's time comes from the table by
   its own personnel, the factors apply, then that site's reduction (at most
   AUDIT_TIME_MAX_SITE_REDUCTION_PERCENT, 50%), and the sites are summed;
4. an integrated audit of several standards (IAF MD 11): each standard computed, summed, then
   reduced by at most AUDIT_TIME_MAX_INTEGRATION_PERCENT (20%);
5. rounded to the nearest half day (half-up: x.25 -> x.5, x.75 -> x+1);
6. split: stage 1 AUDIT_TIME_STAGE1_PERCENT of the total (rounded), stage 2 the rest; at least
   AUDIT_TIME_MIN_ONSITE_PERCENT on site; surveillance SURVEILLANCE_TIME_FRACTION and
   recertification RECERTIFICATION_TIME_FRACTION of the initial time, each rounded.

Every figure is a Decimal; nothing is rounded before step 5. The trace is a list of plain dicts
(``step``, ``params``, ``days`` and the English ``text``), so it is stored as JSON and printed
again in any language with ``render_line``. Bad input raises ``AuditTimeInputError`` whose
message names the field or the factor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.policy import policy

from .sampling import sample_sizes

HUNDRED = Decimal(100)
HALF = Decimal("0.5")
MAX_BANDS_BEYOND = 10_000  # a table whose progression needs more is misconfigured

# The keys of one standard's results, in this order (the audit programme reads them).
RESULT_KEYS = (
    "initial",
    "stage1",
    "stage2",
    "onsite_min",
    "surveillance",
    "surveillance_onsite_min",
    "recertification",
    "recertification_onsite_min",
)


class AuditTimeInputError(DomainError):
    """The input cannot be calculated; the message names the field or factor."""


# -- messages --------------------------------------------------------------------------------
MSG_PERSONNEL = _("Effective personnel must be a whole number of at least 1 (got %(value)s).")
MSG_SITE_PERSONNEL = _(
    "Site “%(site)s”: personnel must be a whole number of at least 1 (got %(value)s)."
)
MSG_NO_TABLES = _("Choose at least one standard to calculate the audit time for.")
MSG_EMPTY_TABLE = _("The audit-time table of %(standard)s has no rows: add its bands first.")
MSG_BAND_GAP = _(
    "The audit-time table of %(standard)s has no band for %(personnel)s people: its bands "
    "leave a gap there. Correct the table."
)
MSG_BAND_OVERLAP = _(
    "The audit-time table of %(standard)s has overlapping bands (%(first)s and %(second)s). "
    "Correct the table."
)
MSG_BEYOND_WIDTH = _(
    "The audit-time table of %(standard)s cannot follow its progression beyond the last band: "
    "the width of the bands beyond the table must be at least 1."
)
MSG_BEYOND_TOO_FAR = _(
    "%(personnel)s people is too far beyond the audit-time table of %(standard)s to follow its "
    "progression: extend the table."
)
MSG_PERCENT = _("%(what)s: “%(value)s” is not a percentage.")
MSG_FACTOR_ZERO = _("Factor %(n)d: a factor of 0%% changes nothing; remove it.")
MSG_FACTOR_BELOW = _("Factor %(n)d (%(percent)s%%): a reduction cannot exceed 100%%.")
MSG_FACTOR_JUSTIFICATION = _(
    "Factor %(n)d (%(percent)s%%) has no justification: record why the time is %(direction)s."
)
MSG_INTEGRATION_SINGLE = _(
    "An integration reduction applies only to an integrated audit of several standards."
)
MSG_INTEGRATION_NEGATIVE = _("The integration reduction cannot be negative (got %(percent)s%%).")
MSG_INTEGRATION_JUSTIFICATION = _(
    "The integration reduction (%(percent)s%%) has no justification: record the level of "
    "integration of the management systems (IAF MD 11)."
)
MSG_SITE_NAME = _("Site %(n)d has no name.")
MSG_SITE_NEGATIVE = _("Site “%(site)s”: the reduction cannot be negative (got %(percent)s%%).")
MSG_SITE_JUSTIFICATION = _("Site “%(site)s”: the reduction of %(percent)s%% has no justification.")
MSG_OTHER_SITES = _(
    "The number of sites besides the central function must be a whole number of at least 0 "
    "(got %(value)s)."
)

DIRECTION = {True: _("increased"), False: _("reduced")}

# -- the trace: one plain-language template per step --------------------------------------------
TRACE = {
    "stand_in": _(
        "STAND-IN TABLE: the table used for %(standard)s (%(source)s) is not the standard's own "
        "table. It must be replaced with the standard's own table before this calculation is "
        "relied on or given to the client."
    ),
    "personnel": _("Effective personnel: %(personnel)s."),
    "band": _(
        "%(standard)s: %(personnel)s people fall in the band %(low)s-%(high)s of the table "
        "“%(source)s”: %(days)s auditor-days."
    ),
    "beyond": _(
        "%(standard)s: %(personnel)s people are above the table's last band (%(last_low)s-"
        "%(last_high)s: %(last_days)s auditor-days). Following the progression (the first band "
        "beyond is %(width)s people wide, each next one %(growth)s%% wider, each adding "
        "%(per_band)s auditor-days): band %(n)s beyond the table, %(low)s-%(high)s, "
        "%(days)s auditor-days."
    ),
    "factor": _("Factor %(n)s: %(percent)s%% of the table time (%(delta)s days). Why: %(why)s"),
    "site_factor": _("Factor %(n)s: %(percent)s%% of each site's table time. Why: %(why)s"),
    "no_factors": _("No adjustment factors: the table time applies."),
    "increases": _("Increases add up to %(percent)s%%."),
    "reductions": _("Reductions add up to %(percent)s%%."),
    "reduction_cap": _(
        "The reductions (%(percent)s%%) exceed the maximum of %(cap)s%% of the table time "
        "(IAF MD 5): %(cap)s%% is applied."
    ),
    "adjusted": _(
        "%(standard)s: %(base)s days %(sign)s %(percent)s%% = %(days)s auditor-days before "
        "rounding."
    ),
    "site": _(
        "Site “%(site)s”, %(personnel)s people: table band %(low)s-%(high)s gives %(base)s days; "
        "with the factors (%(factor_percent)s%%) %(adjusted)s days."
    ),
    "site_beyond": _(
        "Site “%(site)s”, %(personnel)s people: beyond the table (following its progression, "
        "band %(low)s-%(high)s) %(base)s days; with the factors (%(factor_percent)s%%) "
        "%(adjusted)s days."
    ),
    "site_reduction": _("Site “%(site)s”: reduced by %(percent)s%% to %(days)s days. Why: %(why)s"),
    "site_cap": _(
        "Site “%(site)s”: the reduction asked for (%(asked)s%%) exceeds the maximum of %(cap)s%% "
        "per site (IAF MD 1): %(cap)s%% is applied."
    ),
    "sites_of": _(
        "%(standard)s, multi-site (IAF MD 1): the time is that of the %(count)s sites visited "
        "in the sample, each from the table “%(source)s” by its own personnel."
    ),
    "sites_total": _(
        "%(standard)s: the %(count)s sampled sites together: %(days)s auditor-days before rounding."
    ),
    "integrated_sum": _(
        "Integrated audit (IAF MD 11) of %(count)s standards: %(days)s auditor-days together "
        "before the integration reduction."
    ),
    "integration": _(
        "Integration reduction %(percent)s%% (%(delta)s days): %(days)s auditor-days. Why: %(why)s"
    ),
    "integration_cap": _(
        "The integration reduction asked for (%(asked)s%%) exceeds the maximum of %(cap)s%% "
        "(IAF MD 11): %(cap)s%% is applied."
    ),
    "no_integration": _("No integration reduction."),
    "rounding": _(
        "Rounded to the nearest half day (halves up): %(raw)s -> %(days)s auditor-days for the "
        "initial audit (stage 1 + stage 2)."
    ),
    "share": _(
        "%(standard)s: share of the integrated time %(raw)s -> %(days)s auditor-days (shares "
        "are rounded to half days so that they add up to the total)."
    ),
    "share_figures": _(
        "%(standard)s: stage 1 %(stage1)s, stage 2 %(stage2)s (on site at least %(onsite_min)s); "
        "each surveillance %(surveillance)s (on site at least %(surveillance_onsite_min)s); "
        "recertification %(recertification)s (on site at least %(recertification_onsite_min)s)."
    ),
    "whole": _("The integrated audit as a whole, %(days)s auditor-days:"),
    "split": _(
        "Stage 1: %(percent)s%% of %(total)s = %(raw)s, rounded to %(stage1)s days; stage 2: the "
        "rest, %(stage2)s days."
    ),
    "onsite": _(
        "On site at least %(percent)s%% of %(total)s = %(raw)s, rounded up to %(days)s days. "
        "With stage 2 (%(stage2)s days) wholly on site, at least %(stage1_onsite)s days of stage "
        "1 are on site. An audit day is 8 hours; travel is not audit time."
    ),
    "surveillance": _(
        "Each surveillance: %(fraction)s of %(initial)s = %(raw)s, rounded to %(days)s days, of "
        "which at least %(onsite)s on site."
    ),
    "recertification": _(
        "Recertification: %(fraction)s of %(initial)s = %(raw)s, rounded to %(days)s days, of "
        "which at least %(onsite)s on site. Recalculate on the data current at recertification."
    ),
    "year": _(
        "Year %(year)s of the cycle: %(what)s, %(days)s auditor-days (on site at least %(onsite)s)."
    ),
    "sample": _(
        "Multi-site sampling (IAF MD 1), %(others)s sites besides the central function, which is "
        "audited every time: initial audit %(initial)s, each surveillance %(surveillance)s, "
        "recertification %(recertification)s sites."
    ),
}
YEAR_WHAT = {
    "surveillance": _("surveillance"),
    "recertification": _("recertification"),
}


def render_line(line: dict) -> str:
    """One trace line in the active language (falls back to the stored English text)."""
    template = TRACE.get(line.get("step"))
    params = dict(line.get("params") or {})
    if "what" in params and params["what"] in YEAR_WHAT:
        params["what"] = YEAR_WHAT[params["what"]]
    if "direction" in params:
        params["direction"] = DIRECTION[params["direction"] == "up"]
    if template is None:
        return str(line.get("text", ""))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(line.get("text", ""))


def render_trace(trace: Iterable[dict]) -> list[str]:
    return [render_line(line) for line in trace]


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


def _whole_people(value, message, **params) -> int:
    if isinstance(value, bool):
        raise AuditTimeInputError(message % {**params, "value": value})
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise AuditTimeInputError(message % {**params, "value": value}) from None
    if not d.is_finite() or d != d.to_integral_value() or d < 1:
        raise AuditTimeInputError(message % {**params, "value": value})
    return int(d)


# -- inputs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Band:
    min_personnel: int
    max_personnel: int
    days: Decimal


@dataclass(frozen=True)
class Table:
    """One standard's table: ``standard`` is its label (e.g. "ISO 9001:2015"), ``key`` the
    caller's id for it (the standard's pk as text in the service)."""

    standard: str
    source: str
    rows: tuple[Band, ...]
    is_stand_in: bool = False
    beyond_band_width: int = 2200
    beyond_band_growth_percent: Decimal = Decimal(25)
    beyond_band_days: Decimal = Decimal(1)
    key: str = ""

    @classmethod
    def from_model(cls, table, *, rows=None) -> Table:
        """From an AuditTimeTable (``rows`` if already loaded)."""
        rows = table.rows.all() if rows is None else rows
        return cls(
            standard=str(table.standard),
            source=table.source,
            rows=tuple(
                Band(r.min_personnel, r.max_personnel, Decimal(r.days))
                for r in sorted(rows, key=lambda r: r.min_personnel)
            ),
            is_stand_in=table.is_stand_in,
            beyond_band_width=table.beyond_band_width,
            beyond_band_growth_percent=Decimal(table.beyond_band_growth_percent),
            beyond_band_days=Decimal(table.beyond_band_days),
            key=str(table.standard_id),
        )


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


def table_problems(rows: Sequence[Band], *, standard: str = "") -> tuple[list[str], list[str]]:
    """(errors, warnings) of a table's bands: overlapping bands are errors (a personnel
    figure would have two answers); a gap between bands is a warning (nobody with that
    personnel can be calculated until it is closed, but the rest of the table works)."""
    errors, warnings = [], []
    ordered = sorted(rows, key=lambda r: r.min_personnel)
    if not ordered:
        errors.append(str(MSG_EMPTY_TABLE % {"standard": standard}))
    for prev, row in pairwise(ordered):
        if row.min_personnel <= prev.max_personnel:
            errors.append(
                str(
                    MSG_BAND_OVERLAP
                    % {
                        "standard": standard,
                        "first": f"{prev.min_personnel}-{prev.max_personnel}",
                        "second": f"{row.min_personnel}-{row.max_personnel}",
                    }
                )
            )
        elif row.min_personnel > prev.max_personnel + 1:
            warnings.append(
                str(
                    _(
                        "%(standard)s: no band for %(low)s-%(high)s people (between "
                        "%(first)s and %(second)s)."
                    )
                    % {
                        "standard": standard,
                        "low": prev.max_personnel + 1,
                        "high": row.min_personnel - 1,
                        "first": f"{prev.min_personnel}-{prev.max_personnel}",
                        "second": f"{row.min_personnel}-{row.max_personnel}",
                    }
                )
            )
        if row.days < prev.days:
            warnings.append(
                str(
                    _("%(standard)s: the band %(second)s gives fewer days than %(first)s.")
                    % {
                        "standard": standard,
                        "first": f"{prev.min_personnel}-{prev.max_personnel}",
                        "second": f"{row.min_personnel}-{row.max_personnel}",
                    }
                )
            )
    if ordered and ordered[0].min_personnel > 1:
        warnings.append(
            str(
                _("%(standard)s: no band for 1-%(high)s people.")
                % {"standard": standard, "high": ordered[0].min_personnel - 1}
            )
        )
    return errors, warnings


@dataclass(frozen=True)
class BaseTime:
    days: Decimal
    low: int
    high: int
    beyond: int = 0  # 0: a row of the table; n: the n-th band beyond it


def base_days(table: Table, personnel: int) -> BaseTime:
    """Table time for ``personnel`` people (a whole number >= 1)."""
    rows = sorted(table.rows, key=lambda r: r.min_personnel)
    errors, _warnings = table_problems(rows, standard=table.standard)
    if errors:
        raise AuditTimeInputError(errors[0])
    for row in rows:
        if row.min_personnel <= personnel <= row.max_personnel:
            return BaseTime(row.days, row.min_personnel, row.max_personnel)
    last = rows[-1]
    if personnel < last.min_personnel:
        raise AuditTimeInputError(
            MSG_BAND_GAP % {"standard": table.standard, "personnel": personnel}
        )
    # Beyond the last band: "follow the progression" (IAF MD 5).
    width = Decimal(table.beyond_band_width)
    growth = 1 + Decimal(table.beyond_band_growth_percent) / HUNDRED
    if width < 1 or growth < 1:
        raise AuditTimeInputError(MSG_BEYOND_WIDTH % {"standard": table.standard})
    high, days, n = last.max_personnel, last.days, 0
    while True:
        n += 1
        if n > MAX_BANDS_BEYOND and growth != 1:
            raise AuditTimeInputError(
                MSG_BEYOND_TOO_FAR % {"standard": table.standard, "personnel": personnel}
            )
        band_width = int((width * growth ** (n - 1)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        low, high = high + 1, high + max(band_width, 1)
        days += Decimal(table.beyond_band_days)
        if growth == 1 and personnel > high:
            # Constant width: jump straight to the band instead of walking there.
            skip = (personnel - high - 1) // band_width
            n, high, days = n + skip, high + skip * band_width, days + skip * table.beyond_band_days
            low = high - band_width + 1
        if personnel <= high:
            return BaseTime(days, low, high, beyond=n)


# -- the result --------------------------------------------------------------------------------
@dataclass
class Figures:
    initial: Decimal
    stage1: Decimal
    stage2: Decimal
    onsite_min: Decimal
    stage1_onsite_min: Decimal
    surveillance: Decimal
    surveillance_onsite_min: Decimal
    recertification: Decimal
    recertification_onsite_min: Decimal

    def results(self) -> dict[str, str]:
        """The stored results of one standard: exactly RESULT_KEYS, Decimals as text."""
        return {key: fmt(getattr(self, key)) for key in RESULT_KEYS}

    def per_year(self) -> list[dict]:
        """The later audits of the cycle, year by year (year 1 and 2 surveillance, year 3
        recertification)."""
        return [
            {
                "year": 1,
                "what": "surveillance",
                "days": self.surveillance,
                "onsite": self.surveillance_onsite_min,
            },
            {
                "year": 2,
                "what": "surveillance",
                "days": self.surveillance,
                "onsite": self.surveillance_onsite_min,
            },
            {
                "year": 3,
                "what": "recertification",
                "days": self.recertification,
                "onsite": self.recertification_onsite_min,
            },
        ]


@dataclass
class StandardResult:
    key: str
    standard: str
    source: str
    is_stand_in: bool
    base_days: Decimal
    adjusted_days: Decimal  # after factors and site reductions, before integration and rounding
    figures: Figures | None = None


@dataclass
class Calculation:
    standards: list[StandardResult]
    total: Figures
    trace: list[dict] = field(default_factory=list)
    uses_stand_in: bool = False
    sample_sizes: dict[str, int] | None = None

    def results(self) -> dict[str, dict[str, str]]:
        return {s.key: s.figures.results() for s in self.standards}

    def lines(self) -> list[str]:
        return render_trace(self.trace)


class _Trace:
    def __init__(self):
        self.lines: list[dict] = []

    def add(self, step: str, days=None, **params):
        params = {k: (fmt(v) if isinstance(v, Decimal) else v) for k, v in params.items()}
        line = {"step": step, "params": params}
        if days is not None:
            line["days"] = params["days"] = fmt(days)
        with translation.override("en"):
            line["text"] = render_line(line)
        self.lines.append(line)


# -- the calculation ---------------------------------------------------------------------------
def _factor_list(factors) -> list[Factor]:
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


def _reduction(value) -> Reduction | None:
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


def _site_list(sites) -> list[SampledSite]:
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
        personnel = _whole_people(personnel, MSG_SITE_PERSONNEL, site=name)
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


def _apportion(total: Decimal, parts: list[Decimal]) -> list[Decimal]:
    """Split ``total`` (whole half days) over ``parts`` in half days, in proportion (largest
    remainder), so that the shares add up to the total."""
    units = int(total * 2)
    raw_sum = sum(parts)
    if raw_sum == 0:
        return [Decimal(0) for _ in parts]
    ideal = [p * units / raw_sum for p in parts]
    floors = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in ideal]
    left = units - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (-(ideal[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(u) / 2 for u in floors]


def split(initial: Decimal, trace: _Trace | None = None) -> Figures:
    """Stage 1 / stage 2, on-site minima, surveillance and recertification of ``initial``
    (already rounded to half days)."""
    stage1_pct = Decimal(policy("AUDIT_TIME_STAGE1_PERCENT"))
    onsite_pct = Decimal(policy("AUDIT_TIME_MIN_ONSITE_PERCENT"))
    surv_fraction = parse_fraction(policy("SURVEILLANCE_TIME_FRACTION"))
    recert_fraction = parse_fraction(policy("RECERTIFICATION_TIME_FRACTION"))

    stage1_raw = initial * stage1_pct / HUNDRED
    stage1 = min(round_half_days(stage1_raw), initial)
    stage2 = initial - stage1
    onsite_raw = initial * onsite_pct / HUNDRED
    onsite = min(ceil_half_days(onsite_raw), initial)
    stage1_onsite = max(onsite - stage2, Decimal(0))

    def part(fraction: Fraction):
        raw = initial * fraction.numerator / fraction.denominator
        days = max(round_half_days(raw), HALF)
        return raw, days, min(ceil_half_days(days * onsite_pct / HUNDRED), days)

    surv_raw, surv, surv_onsite = part(surv_fraction)
    recert_raw, recert, recert_onsite = part(recert_fraction)
    figures = Figures(
        initial=initial,
        stage1=stage1,
        stage2=stage2,
        onsite_min=onsite,
        stage1_onsite_min=stage1_onsite,
        surveillance=surv,
        surveillance_onsite_min=surv_onsite,
        recertification=recert,
        recertification_onsite_min=recert_onsite,
    )
    if trace is not None:
        trace.add(
            "split",
            percent=stage1_pct,
            total=initial,
            raw=stage1_raw,
            stage1=stage1,
            stage2=stage2,
        )
        trace.add(
            "onsite",
            days=onsite,
            percent=onsite_pct,
            total=initial,
            raw=onsite_raw,
            stage2=stage2,
            stage1_onsite=stage1_onsite,
        )
        trace.add(
            "surveillance",
            days=surv,
            fraction=str(surv_fraction),
            initial=initial,
            raw=_short(surv_raw),
            onsite=surv_onsite,
        )
        trace.add(
            "recertification",
            days=recert,
            fraction=str(recert_fraction),
            initial=initial,
            raw=_short(recert_raw),
            onsite=recert_onsite,
        )
        for item in figures.per_year():
            trace.add(
                "year",
                days=item["days"],
                year=item["year"],
                what=item["what"],
                onsite=item["onsite"],
            )
    return figures


def _figure_params(figures: Figures) -> dict:
    return {key: getattr(figures, key) for key in RESULT_KEYS}


def _short(value: Decimal) -> Decimal:
    """For the trace only: 4.6666... reads as 4.667."""
    return value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP).normalize()


def _standard_time(table, personnel, factors, sites, trace) -> StandardResult:
    cap = Decimal(policy("AUDIT_TIME_MAX_REDUCTION_PERCENT"))
    site_cap = Decimal(policy("AUDIT_TIME_MAX_SITE_REDUCTION_PERCENT"))
    if table.is_stand_in:
        trace.add("stand_in", standard=table.standard, source=table.source)

    # Factors first: they are percentages of the table time, whichever band applies.
    increases = sum((f.percent for f in factors if f.percent > 0), Decimal(0))
    reductions = -sum((f.percent for f in factors if f.percent < 0), Decimal(0))
    applied_reduction = min(reductions, cap)
    net = increases - applied_reduction

    base = None if sites else base_days(table, personnel)
    if base is not None and base.beyond:
        last = sorted(table.rows, key=lambda r: r.min_personnel)[-1]
        trace.add(
            "beyond",
            days=base.days,
            standard=table.standard,
            personnel=personnel,
            last_low=last.min_personnel,
            last_high=last.max_personnel,
            last_days=last.days,
            width=table.beyond_band_width,
            growth=Decimal(table.beyond_band_growth_percent),
            per_band=Decimal(table.beyond_band_days),
            n=base.beyond,
            low=base.low,
            high=base.high,
        )
    elif base is not None:
        trace.add(
            "band",
            days=base.days,
            standard=table.standard,
            personnel=personnel,
            low=base.low,
            high=base.high,
            source=table.source,
        )
    else:
        trace.add("sites_of", standard=table.standard, source=table.source, count=len(sites))
    if not factors:
        trace.add("no_factors")
    for n, f in enumerate(factors, start=1):
        if base is None:
            trace.add("site_factor", n=n, percent=signed(f.percent), why=f.justification)
        else:
            trace.add(
                "factor",
                n=n,
                percent=signed(f.percent),
                delta=signed(base.days * f.percent / HUNDRED),
                why=f.justification,
            )
    if increases:
        trace.add("increases", percent=increases)
    if reductions:
        trace.add("reductions", percent=reductions)
        if reductions > cap:
            trace.add("reduction_cap", percent=reductions, cap=cap)
    multiplier = 1 + net / HUNDRED
    sign = "-" if net < 0 else "+"

    if not sites:
        adjusted = base.days * multiplier
        trace.add(
            "adjusted",
            days=adjusted,
            standard=table.standard,
            base=base.days,
            sign=sign,
            percent=abs(net),
        )
        return StandardResult(
            table.key, table.standard, table.source, table.is_stand_in, base.days, adjusted
        )

    total = base_total = Decimal(0)
    for site in sites:
        site_base = base_days(table, site.personnel)
        base_total += site_base.days
        site_adjusted = site_base.days * multiplier
        trace.add(
            "site_beyond" if site_base.beyond else "site",
            days=site_adjusted,
            site=site.name,
            personnel=site.personnel,
            low=site_base.low,
            high=site_base.high,
            base=site_base.days,
            factor_percent=signed(net),
            adjusted=site_adjusted,
        )
        percent = site.reduction_percent
        if percent > site_cap:
            trace.add("site_cap", site=site.name, asked=percent, cap=site_cap)
            percent = site_cap
        if percent:
            site_adjusted = site_adjusted * (1 - percent / HUNDRED)
            trace.add(
                "site_reduction",
                days=site_adjusted,
                site=site.name,
                percent=percent,
                why=site.justification,
            )
        total += site_adjusted
    trace.add("sites_total", days=total, standard=table.standard, count=len(sites))
    return StandardResult(
        table.key, table.standard, table.source, table.is_stand_in, base_total, total
    )


def calculate(
    *,
    tables: Sequence[Table],
    personnel,
    factors=(),
    integration_reduction=None,
    sites=(),
    other_sites: int | None = None,
) -> Calculation:
    """The audit time of the whole cycle for ``tables`` (one per standard audited together).

    ``factors`` apply to every standard: ``Factor``, ``{"percent", "justification"}`` or
    ``(percent, justification)``. ``integration_reduction``: a percentage with justification
    (MD 11), only with several standards. ``sites``: the sites visited in the sample (MD 1),
    each with its personnel and reduction; when given they replace ``personnel`` for the
    time. ``other_sites``: the number of sites besides the central function, for the MD 1
    sample sizes shown in the trace.
    """
    if not tables:
        raise AuditTimeInputError(MSG_NO_TABLES)
    personnel = _whole_people(personnel, MSG_PERSONNEL)
    factor_list = _factor_list(factors)
    integration = _reduction(integration_reduction)
    site_list = _site_list(sites)
    if integration is not None and len(tables) < 2:
        raise AuditTimeInputError(MSG_INTEGRATION_SINGLE)
    sizes = None
    if other_sites is not None:
        if isinstance(other_sites, bool) or not isinstance(other_sites, int) or other_sites < 0:
            raise AuditTimeInputError(MSG_OTHER_SITES % {"value": other_sites})
        sizes = sample_sizes(other_sites)

    trace = _Trace()
    trace.add("personnel", personnel=personnel)
    if sizes is not None:
        trace.add("sample", others=other_sites, **sizes)
    parts = [_standard_time(t, personnel, factor_list, site_list, trace) for t in tables]
    raw_total = sum((p.adjusted_days for p in parts), Decimal(0))

    integration_percent = Decimal(0)
    if len(parts) > 1:
        trace.add("integrated_sum", days=raw_total, count=len(parts))
        if integration is None:
            trace.add("no_integration")
        else:
            cap = Decimal(policy("AUDIT_TIME_MAX_INTEGRATION_PERCENT"))
            integration_percent = min(integration.percent, cap)
            if integration.percent > cap:
                trace.add("integration_cap", asked=integration.percent, cap=cap)
            delta = raw_total * integration_percent / HUNDRED
            raw_total -= delta
            trace.add(
                "integration",
                days=raw_total,
                percent=integration_percent,
                delta=signed(-delta),
                why=integration.justification,
            )
    initial = max(round_half_days(raw_total), HALF)
    trace.add("rounding", days=initial, raw=_short(raw_total))
    if len(parts) > 1:
        factor = 1 - integration_percent / HUNDRED
        shares = _apportion(initial, [p.adjusted_days * factor for p in parts])
        for p, share in zip(parts, shares, strict=True):
            share = max(share, HALF)
            p.figures = split(share)
            trace.add(
                "share",
                days=share,
                standard=p.standard,
                raw=_short(p.adjusted_days * factor),
            )
            trace.add("share_figures", standard=p.standard, **_figure_params(p.figures))
        trace.add("whole", days=initial)
    total = split(initial, trace)
    if len(parts) == 1:
        parts[0].figures = total
    return Calculation(
        standards=parts,
        total=total,
        trace=trace.lines,
        uses_stand_in=any(t.is_stand_in for t in tables),
        sample_sizes=sizes,
    )


__all__ = [
    "RESULT_KEYS",
    "AuditTimeInputError",
    "Band",
    "Calculation",
    "Factor",
    "Figures",
    "Reduction",
    "SampledSite",
    "StandardResult",
    "Table",
    "base_days",
    "calculate",
    "ceil_half_days",
    "fmt",
    "render_line",
    "render_trace",
    "round_half_days",
    "split",
    "table_problems",
]
