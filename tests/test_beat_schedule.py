"""The periodic schedules are declared in code (certbody/celery.py) and synced to
django-celery-beat's tables once; afterwards staff edit them in the admin, and neither a second
sync nor a beat restart undoes that. ``sync_beat_schedule --reset`` restores the code's."""

import io
import json
from importlib import import_module

import pytest
from celery.schedules import crontab
from celery.utils.imports import symbol_by_name
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django_celery_beat import schedulers as upstream
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from certbody.beat import DatabaseScheduler, sync_beat_schedule
from certbody.celery import app
from certificates.tasks import sweep_certificate_pdfs
from infra import queueing
from reminders.tasks import sweep_unsent_reminders

CODE = app.conf.beat_schedule


def _hours_minutes(task: PeriodicTask):
    schedule = task.crontab.schedule
    return schedule.hour, schedule.minute


def _staff_edits():
    """What staff do in the admin: the daily scan moves to 07:00, the CertSearch export is
    switched off."""
    scan = PeriodicTask.objects.get(name="scan-reminders-daily")
    scan.crontab = CrontabSchedule.objects.create(
        minute="0", hour="7", timezone=settings.CELERY_TIMEZONE
    )
    scan.save()
    export = PeriodicTask.objects.get(name="export-certsearch-monthly")
    export.enabled = False
    export.save()


def _scheduler(cls):
    """A scheduler as beat makes one at start. Its tests are transactional: the scheduler
    closes "old" connections, which a test's open transaction would count as."""
    scheduler = cls(app=app)  # not lazy: runs setup_schedule, as beat does when it starts
    scheduler._finalize.cancel()  # its exit hook would write to a database that is gone
    return scheduler


@pytest.fixture
def synced(db):
    return sync_beat_schedule()


def test_every_code_entry_becomes_a_periodic_task_with_its_task_and_crontab(synced):
    assert sorted(synced.created) == sorted(CODE)
    assert synced.kept == synced.reset == []
    for name, entry in CODE.items():
        task = PeriodicTask.objects.get(name=name)
        code = entry["schedule"]
        assert isinstance(code, crontab)
        assert task.task == entry["task"]
        assert task.enabled
        assert json.loads(task.args) == list(entry.get("args", []))
        assert json.loads(task.kwargs) == entry.get("kwargs", {})
        row = task.crontab.schedule
        assert (row.minute, row.hour, row.day_of_month, row.month_of_year, row.day_of_week) == (
            code.minute,
            code.hour,
            code.day_of_month,
            code.month_of_year,
            code.day_of_week,
        ), name
        # The crontab is read in the body's zone, not in UTC.
        assert str(task.crontab.timezone) == settings.CELERY_TIMEZONE == settings.TIME_ZONE
    scan = PeriodicTask.objects.get(name="scan-reminders-daily")
    assert _hours_minutes(scan) == ({6}, {0})
    export = PeriodicTask.objects.get(name="export-certsearch-monthly")
    assert export.crontab.day_of_month == "1" and _hours_minutes(export) == ({2}, {0})


def test_staff_edits_survive_a_second_sync(synced):
    _staff_edits()
    report = sync_beat_schedule()
    assert report.created == report.reset == []
    assert sorted(report.kept) == sorted(CODE)
    zone = settings.CELERY_TIMEZONE
    assert report.changed == {
        "scan-reminders-daily": [f"crontab 0 7 * * * {zone} (code: 0 6 * * * {zone})"],
        "export-certsearch-monthly": ["disabled"],
    }
    assert _hours_minutes(PeriodicTask.objects.get(name="scan-reminders-daily")) == ({7}, {0})
    assert not PeriodicTask.objects.get(name="export-certsearch-monthly").enabled


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upstream_scheduler_would_overwrite_staff_edits(synced):
    """Why certbody has its own scheduler: django-celery-beat's writes the code over the row."""
    _staff_edits()
    _scheduler(upstream.DatabaseScheduler)
    assert _hours_minutes(PeriodicTask.objects.get(name="scan-reminders-daily")) == ({6}, {0})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_edits_survive_beat_start(synced):
    _staff_edits()
    count = PeriodicTask.objects.count()
    scheduler = _scheduler(DatabaseScheduler)
    assert _hours_minutes(PeriodicTask.objects.get(name="scan-reminders-daily")) == ({7}, {0})
    assert not PeriodicTask.objects.get(name="export-certsearch-monthly").enabled
    # What beat runs: the edited scan at 07:00 in the body's zone, not the disabled export.
    entries = scheduler.schedule
    assert entries["scan-reminders-daily"].schedule.hour == {7}
    assert str(entries["scan-reminders-daily"].schedule.tz) == settings.CELERY_TIMEZONE
    assert "export-certsearch-monthly" not in entries
    assert {"expire-certifications-daily", "send-reminders-daily"} <= set(entries)
    # Only celery's own cleanup entry is added; no code entry is duplicated.
    assert PeriodicTask.objects.count() - count == (1 if app.conf.result_expires else 0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_beat_start_creates_the_schedule_on_an_empty_database(db):
    scheduler = _scheduler(DatabaseScheduler)
    assert set(CODE) <= set(PeriodicTask.objects.values_list("name", flat=True))
    assert set(CODE) <= set(scheduler.schedule)
    assert scheduler.schedule["scan-reminders-daily"].task == "reminders.tasks.scan_reminders"


def test_command_reports_and_reset_restores_the_code_defaults(synced):
    _staff_edits()
    out = io.StringIO()
    call_command("sync_beat_schedule", stdout=out)
    assert "kept     scan-reminders-daily  (differs from the code: crontab 0 7 * * *" in (
        out.getvalue()
    )
    assert "kept     export-certsearch-monthly  (differs from the code: disabled)" in (
        out.getvalue()
    )
    assert f"0 created, {len(CODE)} kept, 0 reset." in out.getvalue()
    assert _hours_minutes(PeriodicTask.objects.get(name="scan-reminders-daily")) == ({7}, {0})

    out = io.StringIO()
    call_command("sync_beat_schedule", "--reset", stdout=out)
    assert "reset    scan-reminders-daily" in out.getvalue()
    assert f"0 created, 0 kept, {len(CODE)} reset." in out.getvalue()
    assert _hours_minutes(PeriodicTask.objects.get(name="scan-reminders-daily")) == ({6}, {0})
    assert PeriodicTask.objects.get(name="export-certsearch-monthly").enabled
    assert sync_beat_schedule().changed == {}


def test_command_on_an_empty_database_creates_everything(db):
    out = io.StringIO()
    call_command("sync_beat_schedule", stdout=out)
    assert f"{len(CODE)} created, 0 kept, 0 reset." in out.getvalue()
    assert PeriodicTask.objects.filter(name__in=list(CODE)).count() == len(CODE)


def test_every_scheduled_task_is_registered_in_the_celery_app():
    app.loader.import_default_modules()  # what a worker does at start (autodiscover)
    missing = {entry["task"] for entry in CODE.values()} - set(app.tasks)
    assert missing == set()


def test_beat_uses_the_scheduler_that_keeps_admin_edits():
    assert symbol_by_name(settings.CELERY_BEAT_SCHEDULER) is DatabaseScheduler
    assert symbol_by_name(app.conf.beat_scheduler) is DatabaseScheduler


# -- the tasks moved: reminders 0002 renames the rows that name them ---------------------------
RENAMING = import_module("reminders.migrations.0002_beat_task_names")


def _row(name, task, crontab_row, **fields):
    return PeriodicTask.objects.create(name=name, task=task, crontab=crontab_row, **fields)


def test_the_migration_points_rows_at_the_moved_tasks_and_keeps_staff_edits(db):
    """Rows as beat wrote them before the move, edited by staff: the scan moved to 07:00, the
    sweep to every 5 minutes; a row of staff's own is left alone."""
    zone = settings.CELERY_TIMEZONE
    seven = CrontabSchedule.objects.create(minute="0", hour="7", timezone=zone)
    five = CrontabSchedule.objects.create(minute="*/5", timezone=zone)
    _row("scan-reminders-daily", "certbody.tasks.scan_reminders", seven)
    _row("send-reminders-daily", "certbody.tasks.send_reminders", seven, enabled=False)
    _row("sweep-unqueued-work", "certbody.tasks.sweep_unqueued", five, queue="sweeps")
    _row("staff-own", "certificates.tasks.expire_certifications", seven)

    RENAMING.forwards(django_apps, None)
    rows = {t.name: t for t in PeriodicTask.objects.select_related("crontab")}
    assert {name: t.task for name, t in rows.items()} == {
        "scan-reminders-daily": "reminders.tasks.scan_reminders",
        "send-reminders-daily": "reminders.tasks.send_reminders",
        "sweep-certificate-pdfs": "certificates.tasks.sweep_certificate_pdfs",
        "sweep-unsent-reminders": "reminders.tasks.sweep_unsent_reminders",
        "staff-own": "certificates.tasks.expire_certifications",
    }
    assert rows["scan-reminders-daily"].crontab == seven
    assert not rows["send-reminders-daily"].enabled
    for name in ("sweep-certificate-pdfs", "sweep-unsent-reminders"):
        assert (rows[name].crontab, rows[name].queue, rows[name].enabled) == (five, "sweeps", True)
    # Every row names a task the code has: the sync keeps them, and creates only the entries
    # these rows are not (the expiry and the export).
    report = sync_beat_schedule()
    assert set(report.kept) == set(rows) - {"staff-own"}
    assert set(report.created) == set(CODE) - set(rows)
    assert set(report.changed) == {
        "scan-reminders-daily",
        "send-reminders-daily",
        "sweep-certificate-pdfs",
        "sweep-unsent-reminders",
    }
    differences = [text for texts in report.changed.values() for text in texts]
    assert not [text for text in differences if text.startswith("task ")]

    RENAMING.backwards(django_apps, None)
    assert dict(PeriodicTask.objects.values_list("name", "task")) == {
        "scan-reminders-daily": "certbody.tasks.scan_reminders",
        "send-reminders-daily": "certbody.tasks.send_reminders",
        "sweep-unqueued-work": "certbody.tasks.sweep_unqueued",
        "staff-own": "certificates.tasks.expire_certifications",
        # What the sync created above: these tasks did not move.
        "expire-certifications-daily": "certificates.tasks.expire_certifications",
        "export-certsearch-monthly": "certificates.tasks.export_certsearch_monthly",
        "refresh-dashboard-figures": "workspace.tasks.refresh_dashboard_figures",
    }


def test_the_migration_leaves_a_database_with_the_new_names_as_it_is(synced):
    before = list(PeriodicTask.objects.order_by("pk").values_list("name", "task", "crontab"))
    RENAMING.forwards(django_apps, None)
    assert list(PeriodicTask.objects.order_by("pk").values_list("name", "task", "crontab")) == (
        before
    )


def test_staff_are_told_when_the_pdf_sweep_runs_by_its_entry_in_the_code():
    assert CODE[queueing.SWEEP_ENTRY]["task"] == queueing.SWEEP_TASK
    assert sweep_certificate_pdfs.name == queueing.SWEEP_TASK
    assert CODE["sweep-unsent-reminders"]["task"] == sweep_unsent_reminders.name
    assert CODE[queueing.SWEEP_ENTRY]["schedule"] == CODE["sweep-unsent-reminders"]["schedule"]
