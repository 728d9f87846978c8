from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    """Reminders and escalations: the Reminder rows, the scan registry the domain apps
    register their daily scans into (registry.py), the daily digests and their sending.

    Modules: models.py (Reminder, ReminderKind), registry.py (scans, subjects, scan_all),
    writing.py (what scans write rows with), recipients.py (who receives them), digests.py (the
    daily mail), sending.py (mailing it), services.py (acknowledging), tasks.py (Celery)."""

    name = "reminders"
    verbose_name = _("Reminders and escalations")
