from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certifications and certificates")

    def ready(self):
        # The explicit table of this app's transition rules (certificates/rules.py, TABLE): what
        # every transition's condition (core.rules.rules_hold) and the admin's reasons read.
        from core.rules import RULES

        from . import rules

        RULES.register(rules.TABLE)
