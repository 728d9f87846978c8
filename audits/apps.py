from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import need_to_know
from core.rules import RULES

from . import access


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = _("Audits")

    def ready(self):
        # The explicit table of this app's transition rules (audits/rules.py, TABLE): what
        # every transition's condition (core.rules.rules_hold) and the admin's reasons read.
        # It imports the models, so only once the app registry is ready.
        from . import rules  # noqa: PLC0415

        RULES.register(rules.TABLE)
        # Need-to-know: what each user sees of these models in the admin, whichever app their
        # admin lives in (access.py says who sees what; core/need_to_know.py fails closed for
        # a model nobody registered).
        need_to_know.register(access.visible, *access.NEED_TO_KNOW_MODELS)
        # This app's daily reminder scans and subjects (reminders.py) register themselves.
        from . import reminders  # noqa: F401, PLC0415
