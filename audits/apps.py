from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = _("Audits")

    def ready(self):
        # The explicit table of this app's transition rules (audits/rules.py, TABLE): what
        # every transition's condition (core.rules.rules_hold) and the admin's reasons read.
        from core.rules import RULES

        from . import rules

        RULES.register(rules.TABLE)
