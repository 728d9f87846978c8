"""The one Celery app. All periodic schedules are declared here, in code.

Beat (certbody.beat.DatabaseScheduler) creates the missing ones in django-celery-beat's tables
when it starts and keeps the rows that exist, so staff can adjust the schedule in the admin
afterwards; ``manage.py sync_beat_schedule --reset`` restores these. Run exactly one beat.
"""

import os

from celery import Celery
from celery.schedules import crontab

# Production settings unless told otherwise (run.py sets certbody.settings.local).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certbody.settings.production")

app = Celery("certbody")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Certificates whose expiry date has passed without a recertification decision expire.
    "expire-certifications-daily": {
        "task": "certificates.tasks.expire_certifications",
        "schedule": crontab(hour=0, minute=15),
    },
    # IAF MD 28: upload to IAF CertSearch at least monthly; staff get the files and a mail.
    "export-certsearch-monthly": {
        "task": "certificates.tasks.export_certsearch_monthly",
        "schedule": crontab(day_of_month=1, hour=2, minute=0),
    },
    # Deadlines (each app's reminders.py, run by reminders/registry.py): the daily scan writes
    # reminders and queues the sending after commit; the send run at 06:30 mails whatever is
    # still unsent (a broker that was down at 06:00, a mail server that failed the day before).
    "scan-reminders-daily": {
        "task": "reminders.tasks.scan_reminders",
        "schedule": crontab(hour=6, minute=0),
    },
    "send-reminders-daily": {
        "task": "reminders.tasks.send_reminders",
        "schedule": crontab(hour=6, minute=30),
    },
    # What a task lost to a broker outage would have done (infra/queueing.py): certificate
    # PDFs still missing (staff are told "rendered by" this schedule), reminders never sent.
    "sweep-certificate-pdfs": {
        "task": "certificates.tasks.sweep_certificate_pdfs",
        "schedule": crontab(minute="*/10"),
    },
    "sweep-unsent-reminders": {
        "task": "reminders.tasks.sweep_unsent_reminders",
        "schedule": crontab(minute="*/10"),
    },
    # The workspace dashboard's figures, computed ahead of the readers (workspace/tasks.py).
    "refresh-dashboard-figures": {
        "task": "workspace.tasks.refresh_dashboard_figures",
        "schedule": crontab(minute="*/5"),
    },
}
