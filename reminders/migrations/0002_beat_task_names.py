"""The periodic tasks' rows follow the tasks to their new modules.

The reminder tasks moved from certbody/tasks.py to reminders/tasks.py, so their Celery names
changed (certbody.tasks.scan_reminders -> reminders.tasks.scan_reminders, likewise
send_reminders). The sweep was split by owner: certificates.tasks.sweep_certificate_pdfs renders
the missing certificate PDFs, reminders.tasks.sweep_unsent_reminders mails the reminders never
sent (certbody/celery.py, beat entries "sweep-certificate-pdfs" and "sweep-unsent-reminders").

Beat never overwrites a row that exists (certbody/beat.py: staff may have changed its schedule
in the admin), so a row still naming an old task would keep running a task no worker has. This
migration renames the task of every django-celery-beat PeriodicTask row that names an old one,
keeping its schedule, arguments and enabled flag. The sweep's row ("sweep-unqueued-work")
becomes the PDF sweep (renamed "sweep-certificate-pdfs"), and the reminder sweep is created as
a copy of it, with the same schedule and enabled flag. Rows that name none of these tasks are
not touched. A sweep row naming ``reminders.tasks.sweep_unqueued`` (its name between the move
and the split) is handled the same way.

Backwards: the rows get the names of the release before the move (certbody.tasks.*) and one
sweep again; the reminder sweep's copy is deleted.
"""

from django.db import migrations
from django.utils import timezone

RENAMED = {
    "certbody.tasks.scan_reminders": "reminders.tasks.scan_reminders",
    "certbody.tasks.send_reminders": "reminders.tasks.send_reminders",
}
OLD_SWEEPS = ("certbody.tasks.sweep_unqueued", "reminders.tasks.sweep_unqueued")
OLD_SWEEP_ENTRY = "sweep-unqueued-work"
PDF_SWEEP, PDF_SWEEP_ENTRY = "certificates.tasks.sweep_certificate_pdfs", "sweep-certificate-pdfs"
REMINDER_SWEEP = "reminders.tasks.sweep_unsent_reminders"
REMINDER_SWEEP_ENTRY = "sweep-unsent-reminders"
# What the reminder sweep's row copies from the old sweep's.
COPIED = (
    "interval",
    "crontab",
    "solar",
    "clocked",
    "queue",
    "exchange",
    "routing_key",
    "headers",
    "priority",
    "expires",
    "expire_seconds",
    "one_off",
    "start_time",
    "enabled",
)


def _changed(apps):
    """Tell a running beat to reload its schedule (what django-celery-beat's signals do)."""
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def forwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    changed = 0
    for old, new in RENAMED.items():
        changed += PeriodicTask.objects.filter(task=old).update(task=new)
    for sweep in PeriodicTask.objects.filter(task__in=OLD_SWEEPS).order_by("pk"):
        if not PeriodicTask.objects.filter(name=REMINDER_SWEEP_ENTRY).exists():
            PeriodicTask.objects.create(
                name=REMINDER_SWEEP_ENTRY,
                task=REMINDER_SWEEP,
                args="[]",
                kwargs="{}",
                description=sweep.description,
                **{attr: getattr(sweep, attr) for attr in COPIED},
            )
        sweep.task = PDF_SWEEP
        if (
            sweep.name == OLD_SWEEP_ENTRY
            and not PeriodicTask.objects.filter(name=PDF_SWEEP_ENTRY).exists()
        ):
            sweep.name = PDF_SWEEP_ENTRY
        sweep.save()
        changed += 1
    if changed:
        _changed(apps)


def backwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    changed = 0
    for old, new in RENAMED.items():
        changed += PeriodicTask.objects.filter(task=new).update(task=old)
    changed += PeriodicTask.objects.filter(task=REMINDER_SWEEP).delete()[0]
    for sweep in PeriodicTask.objects.filter(task=PDF_SWEEP).order_by("pk"):
        sweep.task = OLD_SWEEPS[0]
        if (
            sweep.name == PDF_SWEEP_ENTRY
            and not PeriodicTask.objects.filter(name=OLD_SWEEP_ENTRY).exists()
        ):
            sweep.name = OLD_SWEEP_ENTRY
        sweep.save()
        changed += 1
    if changed:
        _changed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
