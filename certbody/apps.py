from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CertbodyConfig(AppConfig):
    name = "certbody"
    verbose_name = _("Reminders and escalations")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from certbody.login_language import remember_login_language

        checks.register(check_policy)
        user_logged_in.connect(remember_login_language, dispatch_uid="certbody.login_language")


def check_policy(app_configs=None, **kwargs):
    """Policy settings with a fixed set of values are checked when certbody starts."""
    from certbody.policy import policy
    from certbody.reminders import OVERDUE_ACTIONS

    action = policy("SURVEILLANCE_OVERDUE_ACTION")
    if action not in OVERDUE_ACTIONS:
        return [
            checks.Error(
                "CERTBODY['SURVEILLANCE_OVERDUE_ACTION'] (environment variable "
                f"CERTBODY_SURVEILLANCE_OVERDUE_ACTION) is {action!r}.",
                hint=f"Use one of: {', '.join(OVERDUE_ACTIONS)}.",
                id="certbody.E001",
            )
        ]
    return []
