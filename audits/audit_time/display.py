"""Audit time as people read it: one audit's days and on-site minimum in one coherent phrase,
the on-site minimum of the initial audit split between its stages, and an audit's trace in
the reader's language.

The rules (shared/domain.md, IAF MD 5): at least AUDIT_TIME_MIN_ONSITE_PERCENT of the
*initial audit* (stage 1 + stage 2 together) is on site. So the calculation's ``onsite_min``
belongs to the initial audit as a whole, never to one stage: stage 2 takes as much of it as its
days hold, stage 1 the rest (``stage_onsite``). A stage's on-site minimum can never exceed its
days, and a stage 1 whose share is nil says so instead of printing "at least 0" or "-".
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .inputs import fmt

MSG_NOT_CALCULATED = _("not calculated")
MSG_DAYS_ONSITE = _("%(days)s auditor-days, of which at least %(onsite)s on site")
MSG_DAYS_ALL_ONSITE = _("%(days)s auditor-days, all on site")
MSG_DAYS_NONE_ONSITE = _(
    "%(days)s auditor-days, none required on site (the initial audit's on-site minimum is "
    "met by stage 2)"
)
MSG_DAYS_ONSITE_UNKNOWN = _("%(days)s auditor-days (on-site minimum not calculated)")
MSG_STAGE_FIGURE = _("%(days)s (on site at least %(onsite)s)")
MSG_STAGE_FIGURE_ALL = _("%(days)s (all on site)")


def as_decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def stage_onsite(figures) -> tuple[Decimal, Decimal, Decimal] | None:
    """(whole, stage 1, stage 2) on-site minima of the initial audit from one standard's
    results (``onsite_min``, ``stage1``, ``stage2``): stage 2 takes as much of the whole as its
    own days hold, stage 1 the rest, so no stage's on-site days exceed its days. None when a
    figure is missing."""
    whole = as_decimal(figures.get("onsite_min"))
    stage1 = as_decimal(figures.get("stage1"))
    stage2 = as_decimal(figures.get("stage2"))
    if whole is None or stage1 is None or stage2 is None:
        return None
    on_stage2 = min(whole, stage2)
    on_stage1 = min(max(whole - on_stage2, Decimal(0)), stage1)
    return whole, on_stage1, on_stage2


def audit_time_text(days, onsite, *, stage1: bool = False) -> str:
    """One audit's time in one phrase that never contradicts itself: "4.5 auditor-days, all on
    site" (never "on site at least 5.5" of 4.5 days: an on-site minimum recorded above the
    days, by an older calculation, is read as all of them), "1.5 auditor-days, none required
    on site (...)" for a stage 1 whose share of the minimum is nil."""
    days, onsite = as_decimal(days), as_decimal(onsite)
    if days is None:
        return str(MSG_NOT_CALCULATED)
    if onsite is None:
        return str(MSG_DAYS_ONSITE_UNKNOWN % {"days": fmt(days)})
    if onsite >= days:
        return str(MSG_DAYS_ALL_ONSITE % {"days": fmt(days)})
    if onsite <= 0:
        if stage1:
            return str(MSG_DAYS_NONE_ONSITE % {"days": fmt(days)})
        return str(MSG_DAYS_ONSITE_UNKNOWN % {"days": fmt(days)})
    return str(MSG_DAYS_ONSITE % {"days": fmt(days), "onsite": fmt(onsite)})


def stage_figures(figures) -> dict[str, str]:
    """The calculation table's cells for one standard's results: stage 1 and stage 2 each with
    its own share of the on-site minimum ("3 (on site at least 1)", "7 (all on site)"), the
    initial audit with the whole minimum."""

    def cell(days, onsite):
        days = as_decimal(days)
        if days is None:
            return "-"
        if onsite is None:
            return fmt(days)
        if onsite >= days:
            return str(MSG_STAGE_FIGURE_ALL % {"days": fmt(days)})
        return str(MSG_STAGE_FIGURE % {"days": fmt(days), "onsite": fmt(onsite)})

    split = stage_onsite(figures)
    whole, on1, on2 = split if split else (None, None, None)
    return {
        "initial": cell(figures.get("initial"), whole),
        "stage1": cell(figures.get("stage1"), on1),
        "stage2": cell(figures.get("stage2"), on2),
        "surveillance": cell(
            figures.get("surveillance"), as_decimal(figures.get("surveillance_onsite_min"))
        ),
        "recertification": cell(
            figures.get("recertification"), as_decimal(figures.get("recertification_onsite_min"))
        ),
    }


# -- an audit's trace (audits/services/programme.py writes it) ------------------------------------
AUDIT_TRACE = {
    "no_calculation": _(
        "No audit-time calculation for this application: audit time left empty; calculate it "
        "and enter the time by hand."
    ),
    "no_standard": _(
        "The latest audit-time calculation (%(on)s) has no figures for %(standard)s: audit "
        "time left empty."
    ),
    "from_calculation": _(
        "From the audit-time calculation of %(on)s (#%(pk)d), %(what)s: %(days)s auditor-days, "
        "of which at least %(onsite)s on site."
    ),
    "from_calculation_no_onsite": _(
        "From the audit-time calculation of %(on)s (#%(pk)d), %(what)s: %(days)s auditor-days "
        "(on-site minimum not calculated)."
    ),
    "stage_onsite": _(
        "The on-site minimum, %(whole)s days, is for the initial audit as a whole (stage 1 + "
        "stage 2): stage 2 on site at least %(stage2)s of its %(stage2_days)s days, stage 1 at "
        "least %(stage1)s of its %(stage1_days)s days."
    ),
}
# The audit a trace line speaks of ("what"), by kind.
AUDIT_TRACE_WHAT = {
    "stage1": _("stage 1"),
    "stage2": _("stage 2"),
    "surveillance": _("each surveillance (1/3 of the initial time per year)"),
    "recertification": _("recertification (2/3 of a fresh calculation)"),
}


def _render(step: str, params: dict) -> str:
    params = dict(params)
    if params.get("what") in AUDIT_TRACE_WHAT:
        params["what"] = AUDIT_TRACE_WHAT[params["what"]]
    return str(AUDIT_TRACE[step]) % params


def trace_line(step: str, **params) -> dict:
    """A line of an audit's trace stored as data (``step`` of AUDIT_TRACE and its
    parameters), with the English text for anyone reading the JSON; ``render_audit_trace``
    prints it in the reader's language."""
    params = {k: (fmt(v) if isinstance(v, Decimal) else v) for k, v in params.items()}
    with translation.override("en"):
        text = _render(step, params)
    return {"step": step, "params": params, "text": text}


def render_audit_trace(lines) -> list[str]:
    """An audit's trace in the active language. Lines stored as data (``trace_line``) are
    translated; plain strings (traces written before) are shown as they were stored."""
    rendered = []
    for line in lines or []:
        if isinstance(line, dict) and line.get("step") in AUDIT_TRACE:
            try:
                rendered.append(_render(line["step"], line.get("params") or {}))
            except (KeyError, TypeError, ValueError):
                rendered.append(str(line.get("text", "")))
        elif isinstance(line, dict):
            rendered.append(str(line.get("text", "")))
        else:
            rendered.append(str(line))
    return rendered
