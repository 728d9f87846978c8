from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertbodyConfig(AppConfig):
    name = "certbody"
    verbose_name = _("Reminders and escalations")
