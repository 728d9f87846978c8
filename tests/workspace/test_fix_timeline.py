"""Review fix (issue 17, FIX): the certification timeline's reminders are capped at LIMIT
lines (kind and due date) with the most recent deadlines kept, never an arbitrary few."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from certificates.selectors import timeline
from reminders.models import Reminder, ReminderKind
from tests.lifecycle import certified

pytestmark = pytest.mark.django_db

D = datetime.date


def test_reminder_lines_keep_the_latest_deadlines(people, monkeypatch):
    monkeypatch.setattr(timeline, "LIMIT", 3)
    cert = certified(people)
    Reminder.objects.all().delete()
    kind = ReminderKind.SURVEILLANCE_DUE
    days = [D(2025, 1, 1) + datetime.timedelta(days=30 * n) for n in range(6)]
    for day in days:
        # Several reminders per line: one per recipient and lead time.
        for user in (people.staff, people.decider):
            for lead in (30, 7):
                Reminder.objects.create(
                    kind=kind,
                    content_type=ContentType.objects.get_for_model(cert),
                    object_id=cert.pk,
                    due_date=day,
                    lead_days=lead,
                    recipient=user,
                )
    Reminder.objects.filter(due_date=days[-1], recipient=people.decider, lead_days=7).update(
        acknowledged_at=timezone.now()
    )
    entries = timeline._reminder_entries(cert, [])
    assert sorted(e.when for e in entries) == days[-3:]
    latest = next(e for e in entries if e.when == days[-1])
    assert latest.tag == "acknowledged"
    assert all(e.tag == "" for e in entries if e.when != days[-1])
