from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    """Reminders and escalations: the Reminder rows, the daily digests and their sending."""

    name = "reminders"
    verbose_name = _("Reminders and escalations")
