"""The dashboard: the body's figures as charts, each with its numbers as a table beside it and
each table exportable (``?format=csv|xlsx&chart=<name>``). For staff and decision makers.

The figures are aggregated in the database (certificates/selectors/dashboard.py,
audits/selectors/dashboard.py), each over a bounded window of an indexed date, except the
certifications by state, which counts every certification. So that the page answers at once
at any size, the figures are computed together at most every CACHE_SECONDS and kept in the
cache (the page says as of when); the exports read the same figures as the page.
"""

import datetime
from dataclasses import dataclass, field
from operator import itemgetter

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audits.selectors.dashboard import (
    audit_days_per_month,
    auditor_workload,
    surveillance_due_and_held,
    surveillance_overdue_at,
)
from certificates.models import State
from certificates.selectors.dashboard import certifications_by_state, decision_times
from core.dates import add_months, local_today
from infra.exports import FORMATS, Column, export_response

from ..access import Role, workspace_page

CACHE_SECONDS = 300
CACHE_KEY = "workspace:dashboard:v1:{day}"
MONTHS_BACK = 11  # the current month and the 11 before it
MONTHS_AHEAD = 3
WORKLOAD_WEEKS = 8
QUARTERS = 8

QUARTER_LABEL = _("%(year)s Q%(quarter)s")


# -- the figures (plain values, cached) -----------------------------------------------------------
def _quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def compute_figures(today: datetime.date) -> dict:
    """Every figure of the dashboard on ``today``, as plain values."""
    this_month = today.replace(day=1)
    months = [add_months(this_month, k) for k in range(-MONTHS_BACK, MONTHS_AHEAD + 1)]
    past_months = [m for m in months if m < this_month]
    # The end of each month before this one, then today.
    month_ends = [add_months(m, 1) - datetime.timedelta(days=1) for m in past_months] + [today]
    monday = today - datetime.timedelta(days=today.weekday())
    this_quarter = _quarter_start(today)
    return {
        "as_of": timezone.now(),
        "today": today,
        "states": certifications_by_state(),
        "surveillance": surveillance_due_and_held(months),
        "overdue": surveillance_overdue_at(month_ends),
        "audit_days": audit_days_per_month(months),
        "workload_weeks": [monday + datetime.timedelta(weeks=k) for k in range(WORKLOAD_WEEKS)],
        "workload": auditor_workload(first_monday=monday, weeks=WORKLOAD_WEEKS),
        "decision_time": decision_times(
            since=add_months(this_quarter, -3 * (QUARTERS - 1)),
            until=add_months(this_quarter, 3),
        ),
    }


def figures(today: datetime.date) -> dict:
    """The figures of ``today`` from the cache, computed when missing or older than
    CACHE_SECONDS."""
    key = CACHE_KEY.format(day=today.isoformat())
    found = cache.get(key)
    if found is None:
        found = compute_figures(today)
        cache.set(key, found, CACHE_SECONDS)
    return found


def refresh_figures(today: datetime.date | None = None) -> dict:
    """Compute the figures of ``today`` (default: the body's today) now and keep them in the
    cache, so that no reader pays for the computation: for a periodic task every
    CACHE_SECONDS (the figures are kept a minute longer, so the page never finds them
    missing between two runs)."""
    today = today or local_today()
    found = compute_figures(today)
    cache.set(CACHE_KEY.format(day=today.isoformat()), found, CACHE_SECONDS + 60)
    return found


# -- the charts (labels in the reader's language) -------------------------------------------------
@dataclass
class Chart:
    name: str
    title: object
    note: object
    headers: list
    rows: list[list] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    wide: bool = False

    @property
    def config_id(self) -> str:
        return f"chart-{self.name}"

    @property
    def empty(self) -> bool:
        return not any(
            isinstance(cell, (int, float)) and cell for row in self.rows for cell in row[1:]
        )


def _month_label(month: datetime.date) -> str:
    return month.strftime("%Y-%m")


def _number(value):
    """A figure for the chart and the table: Decimals and floats to at most one decimal."""
    if value is None:
        return None
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


def _bar(labels, datasets, **options) -> dict:
    return {
        "type": "bar",
        "data": {
            "labels": [str(label) for label in labels],
            "datasets": [{"label": str(label), "data": data} for label, data in datasets],
        },
        "options": {"responsive": True, "animation": False, **options},
    }


def _line(labels, datasets) -> dict:
    config = _bar(labels, datasets)
    config["type"] = "line"
    return config


def chart_states(fig) -> Chart:
    labels = [State(state).label for state, _n in fig["states"]]
    counts = [n for _state, n in fig["states"]]
    return Chart(
        "states",
        _("Certifications by state"),
        _("Every certification, counted in its current state."),
        [_("State"), _("Certifications")],
        [[str(label), n] for label, n in zip(labels, counts, strict=True)]
        + [[str(_("Total")), sum(counts)]],
        _bar(
            labels,
            [(_("Certifications"), counts)],
            indexAxis="y",
            plugins={"legend": {"display": False}},
        ),
    )


def chart_surveillance(fig) -> Chart:
    rows = fig["surveillance"]
    labels = [_month_label(r["month"]) for r in rows]
    return Chart(
        "surveillance",
        _("Surveillance audits due and held, per month"),
        _(
            "Due: in the month of the surveillance's deadline. Held: in the month its audit "
            "started on site. The last 12 months and the next 3."
        ),
        [_("Month"), _("Due"), _("Held")],
        [[label, r["due"], r["held"]] for label, r in zip(labels, rows, strict=True)],
        _bar(
            labels,
            [(_("Due"), [r["due"] for r in rows]), (_("Held"), [r["held"] for r in rows])],
        ),
    )


def chart_overdue(fig) -> Chart:
    rows = fig["overdue"]
    labels = [r["day"].isoformat() for r in rows]
    return Chart(
        "overdue",
        _("Overdue surveillance audits at the end of each month"),
        _(
            "Past their deadline and neither started nor cancelled by the end of the month; "
            "the last point is today."
        ),
        [_("Day"), _("Overdue")],
        [[label, r["overdue"]] for label, r in zip(labels, rows, strict=True)],
        _line(labels, [(_("Overdue"), [r["overdue"] for r in rows])]),
    )


def chart_audit_days(fig) -> Chart:
    rows = fig["audit_days"]
    labels = [_month_label(r["month"]) for r in rows]
    planned = [_number(r["planned"]) for r in rows]
    delivered = [_number(r["delivered"]) for r in rows]
    return Chart(
        "audit_days",
        _("Audit days per month, planned and delivered"),
        _(
            "Auditor-days of the audits' calculated audit time: planned in the month of the "
            "planned start (audits not cancelled), delivered in the month of the last day of "
            "the audits whose report was submitted."
        ),
        [_("Month"), _("Planned (auditor-days)"), _("Delivered (auditor-days)")],
        [list(r) for r in zip(labels, planned, delivered, strict=True)],
        _bar(labels, [(_("Planned"), planned), (_("Delivered"), delivered)]),
    )


def chart_workload(fig) -> Chart:
    weeks = [w.isoformat() for w in fig["workload_weeks"]]
    rows = fig["workload"]
    return Chart(
        "workload",
        _("Auditor workload, the next 8 weeks"),
        _("Days each auditor is booked on audits, per week (weeks start on Monday)."),
        [_("Auditor"), *weeks, _("Total")],
        [[r["name"], *r["weeks"], r["total"]] for r in rows],
        _bar(
            weeks,
            [(r["name"], r["weeks"]) for r in rows],
            scales={"x": {"stacked": True}, "y": {"stacked": True}},
        ),
        wide=True,
    )


def chart_decision_time(fig) -> Chart:
    rows = fig["decision_time"]
    labels = [
        str(QUARTER_LABEL % {"year": r["quarter"].year, "quarter": (r["quarter"].month + 2) // 3})
        for r in rows
    ]
    median = [_number(r["median"]) for r in rows]
    p90 = [_number(r["p90"]) for r in rows]
    return Chart(
        "decision_time",
        _("Time from application to decision"),
        _(
            "Days from the receipt of the application to the grant or refusal, per quarter of "
            "the decision (the last 8 quarters, those with decisions)."
        ),
        [_("Quarter"), _("Decisions"), _("Median (days)"), _("90th percentile (days)")],
        [
            [label, r["count"], m, p]
            for label, r, m, p in zip(labels, rows, median, p90, strict=True)
        ],
        _bar(labels, [(_("Median"), median), (_("90th percentile"), p90)]),
    )


CHARTS = {
    "states": chart_states,
    "surveillance": chart_surveillance,
    "overdue": chart_overdue,
    "audit_days": chart_audit_days,
    "workload": chart_workload,
    "decision_time": chart_decision_time,
}


def _export(chart: Chart, fmt: str, today: datetime.date):
    columns = [Column(header, itemgetter(i)) for i, header in enumerate(chart.headers)]
    return export_response(
        fmt,
        filename=f"dashboard-{chart.name}-{today.isoformat()}",
        columns=columns,
        rows=chart.rows,
    )


@workspace_page(Role.STAFF, Role.DECIDER)
def dashboard(request):
    today = local_today()
    fig = figures(today)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        builder = CHARTS.get(request.GET.get("chart", ""))
        if builder is None:
            raise Http404
        return _export(builder(fig), fmt, today)
    charts = [builder(fig) for builder in CHARTS.values()]
    return render(
        request,
        "workspace/dashboard/dashboard.html",
        {
            "charts": charts,
            "as_of": timezone.localtime(fig["as_of"]),
            "cache_minutes": CACHE_SECONDS // 60,
        },
    )


urlpatterns = [path("dashboard/", dashboard, name="dashboard")]
