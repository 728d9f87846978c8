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
        # Deployment checks: the rate limit's cache, docker-compose.yml's example secrets.
        import certbody.checks  # noqa: F401

        user_logged_in.connect(remember_login_language, dispatch_uid="certbody.login_language")


# PostgreSQL's memory units (https://www.postgresql.org/docs/current/config-setting.html), in
# kB, and the range it accepts for work_mem: 64 kB to 2147483647 kB.
_PG_MEMORY = re.compile(r"^([0-9]+)\s*(kB|MB|GB|TB)?$")
_PG_UNIT_KB = {None: 1, "kB": 1, "MB": 1024, "GB": 1024**2, "TB": 1024**3}
_WORK_MEM_KB = (64, 2147483647)


def _work_mem_ok(value) -> bool:
    match = _PG_MEMORY.match(str(value).strip())
    if not match:
        return False
    kb = int(match.group(1)) * _PG_UNIT_KB[match.group(2)]
    return _WORK_MEM_KB[0] <= kb <= _WORK_MEM_KB[1]


def check_policy(app_configs=None, **kwargs):
    """Policy settings with a fixed set of values are checked when certbody starts."""
    from certbody.policy import policy
    from certbody.reminders import OVERDUE_ACTIONS

    errors = []
    work_mem = policy("IMPORT_WORK_MEM")
    if not _work_mem_ok(work_mem):
        errors.append(
            checks.Error(
                "CERTBODY['IMPORT_WORK_MEM'] (environment variable CERTBODY_IMPORT_WORK_MEM) is "
                f"{work_mem!r}.",
                hint="A PostgreSQL memory size from 64kB to 2047GB, such as 64MB or 65536kB.",
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
