"""certbody, the project: settings, URLs, the Celery app and its beat schedule, WSGI. It is an
installed app only for the project's own management commands, its system checks and the
migrations that once created the models now owned by reminders and accounts (0007, 0008)."""

from django.apps import AppConfig
from django.core import checks


class CertbodyConfig(AppConfig):
    name = "certbody"
    verbose_name = "certbody"

    def ready(self):
        # Settings checked at every start; deployment checks (the rate limit's cache,
        # docker-compose.yml's example secrets) with ``check --deploy``.
        # certbody.checks imports certificates.reminders (its models): only once ready.
        from certbody import checks as certbody_checks  # noqa: PLC0415

        checks.register(certbody_checks.check_policy)
