import re

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


# PostgreSQL's memory units (https://www.postgresql.org/docs/current/config-setting.html).
_PG_MEMORY = re.compile(r"^[1-9][0-9]*(kB|MB|GB|TB)?$")


def check_policy(app_configs=None, **kwargs):
    """Policy settings with a fixed set of values are checked when certbody starts."""
    from certbody.policy import policy
    from certbody.reminders import OVERDUE_ACTIONS

    errors = []
    work_mem = policy("IMPORT_WORK_MEM")
    if not _PG_MEMORY.match(str(work_mem)):
        errors.append(
            checks.Error(
                "CERTBODY['IMPORT_WORK_MEM'] (environment variable CERTBODY_IMPORT_WORK_MEM) is "
                f"{work_mem!r}.",
                hint="A PostgreSQL memory size such as 64MB or 65536kB (units kB, MB, GB, TB).",
                id="certbody.E002",
            )
        )
    action = policy("SURVEILLANCE_OVERDUE_ACTION")
    if action not in OVERDUE_ACTIONS:
        errors.append(
            checks.Error(
                "CERTBODY['SURVEILLANCE_OVERDUE_ACTION'] (environment variable "
                f"CERTBODY_SURVEILLANCE_OVERDUE_ACTION) is {action!r}.",
                hint=f"Use one of: {', '.join(OVERDUE_ACTIONS)}.",
                id="certbody.E001",
            )
        )
    return errors
