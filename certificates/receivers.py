"""The certificates app's answers to what the audits app tells it (audits/signals.py). Audits
sits below certificates and does not import it; these receivers, connected in
``CertificatesConfig.ready``, call the certification services in the audit's transaction.
Each only forwards to a service: the rules stay in the services."""

from audits.models import AuditKind

from .services import certification_record_surveillance, certification_touch


def lock_for_audit_planning(sender, *, certification, by, permission, **kwargs):
    """``audit_planning``: check ``by``'s permission, lock the certification (a stale copy is
    refused) and bump its revision; the audit is planned on the locked certification
    returned."""
    return certification_touch(certification, by=by, permission=permission)


def count_closed_surveillance(sender, *, audit, by=None, **kwargs):
    """``audit_closed``: a closed surveillance counts towards the cycle's programme."""
    if audit.kind == AuditKind.SURVEILLANCE:
        certification_record_surveillance(audit.certification, audit=audit, by=by)
