"""The periodic schedules: declared once in code (``beat_schedule`` in certbody/celery.py), kept
in django-celery-beat's tables, where staff may change them in the admin (*Periodic tasks*).

django-celery-beat's own DatabaseScheduler writes every code entry over its row each time beat
starts (``update_or_create``), so a schedule staff moved to another hour came back at the next
restart. Here the code only creates what is missing: a row that exists, edited or disabled, is
kept. ``sync_beat_schedule(reset=True)`` (``manage.py sync_beat_schedule --reset``) puts the
code's schedules back.

Run exactly one beat (run.py: the worker's ``--beat``; docker-compose.yml: one ``beat`` service).
"""

import contextlib
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from celery import schedules
from django.conf import settings
from django.db import IntegrityError, transaction
from django_celery_beat import schedulers
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from certbody.celery import app


@dataclass
class SyncReport:
    """Names of the beat entries the sync created, kept as they were, and reset to the code.

    ``changed`` maps a kept entry to how its row differs from the code (staff edits)."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)


def schedule_timezone() -> ZoneInfo:
    """The zone the crontabs are read in: CELERY_TIMEZONE, else TIME_ZONE."""
    return ZoneInfo(getattr(settings, "CELERY_TIMEZONE", None) or settings.TIME_ZONE)


def _crontab_row(schedule: schedules.crontab) -> CrontabSchedule:
    spec = {
        "minute": str(schedule._orig_minute),
        "hour": str(schedule._orig_hour),
        "day_of_week": str(schedule._orig_day_of_week),
        "day_of_month": str(schedule._orig_day_of_month),
        "month_of_year": str(schedule._orig_month_of_year),
        "timezone": schedule_timezone(),
    }
    # No unique constraint on crontabs: staff may have made an identical one in the admin.
    return CrontabSchedule.objects.filter(**spec).order_by("pk").first() or (
        CrontabSchedule.objects.create(**spec)
    )


def _schedule_fields(schedule) -> dict:
    """The PeriodicTask schedule foreign keys for a code schedule (crontab in the body's zone;
    intervals, solar and clocked as django-celery-beat stores them)."""
    fields = {"interval": None, "crontab": None, "solar": None, "clocked": None}
    schedule = schedules.maybe_schedule(schedule)
    if isinstance(schedule, schedules.crontab):
        fields["crontab"] = _crontab_row(schedule)
    else:
        row, name = schedulers.ModelEntry.to_model_schedule(schedule)
        fields[name] = row
    return fields


def _code_fields(entry: dict) -> dict:
    """A PeriodicTask's fields as the code declares them (what --reset restores)."""
    options = entry.get("options") or {}
    return {
        "task": entry["task"],
        **_schedule_fields(entry["schedule"]),
        "args": json.dumps(list(entry.get("args") or [])),
        "kwargs": json.dumps(entry.get("kwargs") or {}),
        "queue": options.get("queue"),
        "exchange": options.get("exchange"),
        "routing_key": options.get("routing_key"),
        "priority": options.get("priority"),
        "headers": json.dumps(options.get("headers") or {}),
        "expire_seconds": options.get("expire_seconds"),
        "expires": None,
        "one_off": False,
        "start_time": None,
        "enabled": True,
    }


def _crontab_text(row: CrontabSchedule | None) -> str:
    if row is None:
        return "-"
    parts = (row.minute, row.hour, row.day_of_month, row.month_of_year, row.day_of_week)
    return f"{' '.join(parts)} {row.timezone}"


def _differences(task: PeriodicTask, entry: dict) -> list[str]:
    """How a kept row differs from the code entry, in words for the report."""
    found = []
    if task.task != entry["task"]:
        found.append(f"task {task.task} (code: {entry['task']})")
    schedule = schedules.maybe_schedule(entry["schedule"])
    if isinstance(schedule, schedules.crontab):
        code = " ".join(
            str(v)
            for v in (
                schedule._orig_minute,
                schedule._orig_hour,
                schedule._orig_day_of_month,
                schedule._orig_month_of_year,
                schedule._orig_day_of_week,
            )
        )
        code = f"{code} {schedule_timezone()}"
        if _crontab_text(task.crontab) != code:
            found.append(f"crontab {_crontab_text(task.crontab)} (code: {code})")
    if not task.enabled:
        found.append("disabled")
    return found


def sync_beat_schedule(reset: bool = False, entries: dict | None = None) -> SyncReport:
    """Create a PeriodicTask for every entry of the code's beat schedule (``entries``, default
    ``beat_schedule`` of certbody/celery.py) that has none. Existing rows, as staff may have
    changed them in the admin (another time, disabled), are kept; with ``reset`` they are set
    back to the code's schedule, arguments and options, and enabled. Rows that are not in the
    code are never touched. Safe to run concurrently (the task name is unique)."""
    if entries is None:
        entries = app.conf.beat_schedule
    report = SyncReport()
    for name, entry in entries.items():
        with transaction.atomic():
            task = PeriodicTask.objects.select_for_update().filter(name=name).first()
            if task is None:
                try:
                    with transaction.atomic():
                        PeriodicTask.objects.create(name=name, **_code_fields(entry))
                except IntegrityError:  # another sync created it a moment ago: keep that one
                    report.kept.append(name)
                else:
                    report.created.append(name)
            elif reset:
                for attr, value in _code_fields(entry).items():
                    setattr(task, attr, value)
                task.save()  # save(), not update(): beat learns of the change (PeriodicTasks)
                report.reset.append(name)
            else:
                report.kept.append(name)
                if differences := _differences(task, entry):
                    report.changed[name] = differences
    return report


class DatabaseScheduler(schedulers.DatabaseScheduler):
    """django-celery-beat's scheduler, except that at beat start the code's entries (and
    celery's own, such as ``celery.backend_cleanup``) only create missing rows: what staff
    changed in the admin survives a restart. (Upstream ``setup_schedule`` passes both through
    ``update_from_dict``, which overwrote them.)"""

    def update_from_dict(self, mapping):
        sync_beat_schedule(entries=mapping)
        loaded = {}
        for model in PeriodicTask.objects.filter(name__in=list(mapping), enabled=True):
            # A schedule the row cannot express raises ValueError; upstream skips it too.
            with contextlib.suppress(ValueError):
                loaded[model.name] = self.Entry(model, app=self.app)
        self.schedule.update(loaded)
