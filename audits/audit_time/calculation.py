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

The inputs are cleaned in ``inputs``, the table time (step 1) comes from ``tables`` and each
step writes its line with ``trace``; this module does steps 2 to 6.

Every figure is a Decimal; nothing is rounded before step 5. The trace is a list of plain dicts
(``step``, ``params``, ``days`` and the English ``text``), so it is stored as JSON and printed
again in any language with ``render_line``. Bad input raises ``AuditTimeInputError`` whose
message names the field or the factor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from core.policy import policy

from ..sampling import sample_sizes
from .inputs import (
    HALF,
    HUNDRED,
    AuditTimeInputError,
    ceil_half_days,
    clean_factors,
    clean_reduction,
    clean_sites,
    fmt,
    parse_fraction,
    round_half_days,
    signed,
    whole_people,
)
from .tables import Table, base_days
from .trace import Trace, render_trace

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

MSG_PERSONNEL = _("Effective personnel must be a whole number of at least 1 (got %(value)s).")
MSG_NO_TABLES = _("Choose at least one standard to calculate the audit time for.")
MSG_INTEGRATION_SINGLE = _(
    "An integration reduction applies only to an integrated audit of several standards."
)
MSG_OTHER_SITES = _(
    "The number of sites besides the central function must be a whole number of at least 0 "
    "(got %(value)s)."
)


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


def split(initial: Decimal, trace: Trace | None = None) -> Figures:
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
    personnel = whole_people(personnel, MSG_PERSONNEL)
    factor_list = clean_factors(factors)
    integration = clean_reduction(integration_reduction)
    site_list = clean_sites(sites)
    if integration is not None and len(tables) < 2:
        raise AuditTimeInputError(MSG_INTEGRATION_SINGLE)
    sizes = None
    if other_sites is not None:
        if isinstance(other_sites, bool) or not isinstance(other_sites, int) or other_sites < 0:
            raise AuditTimeInputError(MSG_OTHER_SITES % {"value": other_sites})
        sizes = sample_sizes(other_sites)

    trace = Trace()
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
