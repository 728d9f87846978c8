"""Audit time: the trace, one plain-language line per step of the calculation, in the order an
assessor checks it. A line is a plain dict (``step``, ``params``, ``days`` and the English
``text``), stored as JSON with the calculation and printed again in any language with
``render_line``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .inputs import DIRECTION, fmt

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


class Trace:
    """The lines of one calculation, added step by step (each also rendered in English)."""

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
