"""Home: my work, by role, most urgent first (workspace/views/home_lines.py builds the lines),
with my open reminders on top."""

from django.shortcuts import render
from django.urls import path

from core.dates import local_today
from reminders import selectors as reminder_reads

from ..access import workspace_page
from .home_lines import capped_count, shown_count
from .home_sections import sections_for


@workspace_page()
def home(request):
    today = local_today()
    user = request.user
    open_reminders = reminder_reads.reminders_of(user)
    count, capped = capped_count(open_reminders)
    overdue = (
        capped_count(reminder_reads.overdue(open_reminders, on=today)) if count else (0, False)
    )
    return render(
        request,
        "workspace/home.html",
        {
            "today": today,
            "sections": sections_for(user, request.roles, today),
            "reminders_count": shown_count(count, capped),
            "reminders_overdue": shown_count(*overdue),
            "reminders_overdue_any": bool(overdue[0]),
        },
    )


urlpatterns = [path("", home, name="home")]
