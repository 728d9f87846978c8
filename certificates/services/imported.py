"""Existing certificates brought into certbody (certificates/imports/certificate_import.py):
the body's own from its previous system, or one transferred from another body (IAF MD 2)."""

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.notes import Note

from ..errors import CertificationConflict
from ..models import (
    Certificate,
    CertificateStatus,
    Certification,
    DecisionOutcome,
    Ending,
    State,
    holder_of,
)
from .applications import MSG_IN_PROGRESS
from .certificates import certificate_build
from .common import certification_transition, decision_record

# The history rows' and decisions' reason: stored in English, shown in the reader's language.
MSG_IMPORTED_MIGRATED = Note(
    _("Imported: certification migrated from the body's previous system; certificate %(number)s.")
)
MSG_IMPORTED_TRANSFERRED = Note(
    _("Imported from another certification body (transfer, IAF MD 2); certificate %(number)s.")
)
# The certificate version's status for each state an import lands in.
_IMPORTED_CERTIFICATE_STATUS = {
    State.ACTIVE: CertificateStatus.CURRENT,
    State.SUSPENDED: CertificateStatus.SUSPENDED,
    State.WITHDRAWN: CertificateStatus.WITHDRAWN,
    State.EXPIRED: CertificateStatus.EXPIRED,
}
# Decisions recorded on the import date so the public history (certificates/history.py) says
# from when it is suspended or withdrawn (the old system's date is not known).
_IMPORTED_DECISION = {
    State.SUSPENDED: DecisionOutcome.SUSPEND,
    State.WITHDRAWN: DecisionOutcome.WITHDRAW,
}


def certification_import_existing(
    *,
    client,
    standard,
    number: str,
    scope: str,
    issued_on: datetime.date,
    expiry_date: datetime.date,
    status: str,
    original_on: datetime.date | None = None,
    last_audit_on: datetime.date | None = None,
    next_due: datetime.date | None = None,
    transferred: bool = False,
    ending: str = "",
    certification: Certification | None = None,
    by,
    on: datetime.date,
) -> Certificate:
    """Bring in a certificate granted before certbody: the body's own from its previous system,
    or one transferred from another body (IAF MD 2). The certification ("applied": new, or
    ``certification`` when the client's application for the standard is still open) takes the
    ``import_existing`` transition into ``status`` with the certificate's dates, so the
    lifecycle's invariants hold; the grant is recorded as decided on the issue date by nobody
    in certbody, and version 1 carries the printed number. No PDF is queued: the printed
    original is the old system's (or the other body's). A withdrawn ``status`` takes its kind
    of ending (``Ending``, default withdrawn): a cancellation's version is Cancelled and its
    decision at the client's request (it does not bar a new application)."""
    note = MSG_IMPORTED_TRANSFERRED if transferred else MSG_IMPORTED_MIGRATED
    reason = note.text(number=number.strip())
    try:
        with transaction.atomic():
            return _import_existing(
                certification or Certification(client=client, standard=standard, scope=scope),
                reason=reason,
                number=number,
                scope=scope,
                issued_on=issued_on,
                expiry_date=expiry_date,
                status=status,
                original_on=original_on,
                last_audit_on=last_audit_on,
                next_due=next_due,
                transferred=transferred,
                ending=ending,
                by=by,
                on=on,
            )
    except IntegrityError:
        # Rolled back. Without a savepoint per insert (an import runs this for every row): the
        # one constraint a concurrent writer can break is one certification per client and
        # standard.
        other = Certification.objects.filter(client=client, standard=standard).first()
        if other is None or (certification is not None and other.pk == certification.pk):
            raise
        raise CertificationConflict(
            MSG_IN_PROGRESS
            % {"client": client, "standard": standard, "state": other.get_state_display()}
        ) from None


def _import_existing(
    certification, *, reason, status, issued_on, ending, by, on, **extra
) -> Certificate:
    if certification.pk is None:
        certification.save()
    cert = certification_transition(
        certification,
        "import_existing",
        by=by,
        on=on,
        reason=reason,
        target=status,
        issued_on=issued_on,
        **extra,
    )
    cancelled = cert.state == State.WITHDRAWN and bool(ending) and Ending(ending).is_cancellation
    grant = decision_record(cert, DecisionOutcome.GRANT, by=None, on=issued_on, reason=reason)
    certificate = certificate_build(
        cert,
        decision=grant,
        on=issued_on,
        status=(
            CertificateStatus.CANCELLED if cancelled else _IMPORTED_CERTIFICATE_STATUS[cert.state]
        ),
        holder=holder_of(cert),
    )
    certificate.save(force_insert=True)
    if cert.state in _IMPORTED_DECISION:
        decision_record(
            cert,
            _IMPORTED_DECISION[cert.state],
            by=None,
            on=on,
            reason=reason,
            at_client_request=cancelled,
            ending=(ending or Ending.WITHDRAWN) if cert.state == State.WITHDRAWN else "",
        )
    return certificate
