"""The planning board (workspace:planning): auditors by week (8 weeks from this week by
default, any start week), the audits placed in their weeks (tentative: dates proposed,
confirmed), leave and other unavailability, and the audits that need a team or are late, each
with "assign a team" (the team page) and "assign the nearest" (one click: the first team
leader suggestion, through the team page's service and warnings). Staff manage; decision
makers read. Queries bounded by the weeks shown (audits/selectors/planning.py)."""

import datetime

from django.contrib import messages
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from audits.selectors import planning
from core.dates import local_today

from ..access import Role, workspace_page
from ..http import parse_date, parse_int

MSG_BAD_WEEK = _("“%(value)s” is not a week (use 2026-W50 or a date): showing this week.")
MSG_BAD_WEEKS = _("The number of weeks must be a whole number from 1 to %(max)d: showing %(n)d.")


def _weeks(request) -> int:
    raw = request.GET.get("weeks")
    if not raw:
        return planning.DEFAULT_WEEKS
    weeks = parse_int(raw, maximum=planning.MAX_WEEKS)
    if weeks is None:
        messages.warning(
            request, MSG_BAD_WEEKS % {"max": planning.MAX_WEEKS, "n": planning.DEFAULT_WEEKS}
        )
        return planning.DEFAULT_WEEKS
    return weeks


@workspace_page(Role.STAFF, Role.DECIDER)
@require_GET
def board(request):
    today = local_today()
    raw = request.GET.get("start")
    start = planning.parse_week(raw) if raw else planning.week_start(today)
    if start is not None and parse_date(start.isoformat()) is None:
        start = None  # year 1 or 9999: the weeks around it are out of the calendar's range
    if start is None:
        messages.warning(request, MSG_BAD_WEEK % {"value": raw})
        start = planning.week_start(today)
    weeks = _weeks(request)
    page = parse_int(request.GET.get("auditors") or "1", maximum=10_000) or 1
    data = planning.planning_board(start=start, weeks=weeks, today=today, auditor_page=page)
    for audit in data.late:
        audit.late_kind = planning.late_reason(audit, today)
    step = datetime.timedelta(weeks=weeks)
    return render(
        request,
        "workspace/planning/board.html",
        {
            "board": data,
            "today": today,
            "weeks": weeks,
            "start": planning.Week(start),
            "previous": planning.Week(start - step).iso,
            "next": planning.Week(start + step).iso,
            "this_week": planning.Week(planning.week_start(today)).iso,
            "manages": request.user.has_perm("audits.manage_audit"),
        },
    )


urlpatterns = [path("planning/", board, name="planning")]
