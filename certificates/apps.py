from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from audits import signals as audit_signals
from core.rules import RULES


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certifications and certificates")

    def ready(self):
        # The explicit table of this app's transition rules (certificates/rules.py, TABLE): what
        # every transition's condition (core.rules.rules_hold) and the admin's reasons read.
        # It imports the models, so only once the app registry is ready.
        from . import rules  # noqa: PLC0415

        RULES.register(rules.TABLE)
        # What the audits app tells this one (audits/signals.py; audits sits below and does not
        # import certificates): planning an audit locks the certification, a closed surveillance
        # counts towards the programme. The receivers import the services, hence the models.
        from . import receivers  # noqa: PLC0415

        audit_signals.audit_planning.connect(
            receivers.lock_for_audit_planning, dispatch_uid="certificates.lock_for_audit_planning"
        )
        audit_signals.audit_closed.connect(
            receivers.count_closed_surveillance,
            dispatch_uid="certificates.count_closed_surveillance",
        )
        # This app's daily reminder scans and subjects (reminders.py) register themselves.
        from . import reminders  # noqa: F401, PLC0415

        # The imports this app plugs into clients' (clients/imports/registry.py): existing
        # certificates, a kind of ImportJob; and the certifications a client list's standard
        # opens. They import the services, hence the models.
        from .imports import register_imports  # noqa: PLC0415

        register_imports()
        # The marks and the body address that certificates print (checks.py): registered by
        # importing it.
        from . import checks  # noqa: F401, PLC0415
