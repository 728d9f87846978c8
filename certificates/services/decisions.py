"""Certification decisions (ISO/IEC 17021-1 9.5, 9.6): grant, refuse, recertify, restore after
expiry, suspend and lift, withdraw, reduce or extend the scope; and expiry, by the dates (the
nightly task) or by staff. Each records its Decision and, where the certificate changes, a new
certificate version (certificates.py)."""

import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audits.models import AuditKind
from audits.services import programme_cancel, programme_generate
from core.names import person_name
from core.notes import Note

from ..bulk import certifications_log
from ..errors import CertificationError
from ..models import (
    Certificate,
    CertificateStatus,
    Certification,
    Decision,
    DecisionOutcome,
    Ending,
)
from .certificates import certificate_issue, certificates_set_status
from .common import certification_touch, certification_transition, decision_record

# What the system writes into history rows and decisions' reasons: stored in English, shown in
# the reader's language (core.notes); rows stored before in the writer's language are read too.
NOTE_DECISION_MAKER = Note(_("Designated decision maker: %(user)s"))
NOTE_EXPIRED = Note(_("Expiry date passed without a recertification decision."))
# The nightly scan suspends when a surveillance was not held (certificates/reminders.py).
NOTE_SUSPENDED_AUTOMATICALLY = Note(
    _(
        "Surveillance due by %(due)s was not held: suspended automatically under the body's "
        "policy (ISO/IEC 17021-1 9.6.5)."
    )
)
# Reasons written into audits' history when the programme cancels them.
NOTE_WITHDRAWN = Note(_("Certification withdrawn: %(reason)s"))
NOTE_CANCELLED_AT_REQUEST = Note(_("Certification cancelled at the client's request: %(reason)s"))
NOTE_CANCELLED_CEASED = Note(
    _("Certification cancelled (the client ceased the certified activities): %(reason)s")
)
ENDING_NOTES = {
    Ending.WITHDRAWN: NOTE_WITHDRAWN,
    Ending.CLIENT_REQUEST: NOTE_CANCELLED_AT_REQUEST,
    Ending.CEASED: NOTE_CANCELLED_CEASED,
}
MSG_UNKNOWN_ENDING = _(
    "“%(ending)s” is not a kind of ending: choose withdrawn, cancelled at the client's request "
    "or cancelled because the client ceased the certified activities."
)
MSG_WITHDRAWN_NOT_AT_REQUEST = _(
    "A withdrawal is for failing the requirements: an ending at the client's request is a "
    "cancellation. Choose “Cancelled at the client's request”."
)
NOTE_CYCLE_EXPIRED = Note(_("The certificate expired: no surveillance in an expired cycle."))
NOTE_NEW_CYCLE = Note(_("A new cycle began: its own programme replaces this audit."))
# The history row's transition name for a designation (no transition of the model has it).
DESIGNATE_DECISION_MAKER = "designate_decision_maker"


def certification_designate_decision_maker(*, certification, decision_maker, by) -> Certification:
    """Designate who takes the certification's decisions (its freedom to decide, ISO/IEC
    17021-1 9.5.2, is Certification.clean's check). Not a transition, but a change like any
    other: the revision is bumped and a history row says who designated whom."""
    with transaction.atomic():
        cert = certification_touch(
            certification, by=by, permission="certificates.change_certification"
        )
        cert.decision_maker = decision_maker
        cert.save(update_fields=["decision_maker"])
        certifications_log(
            [cert],
            transition=DESIGNATE_DECISION_MAKER,
            by=by,
            description=NOTE_DECISION_MAKER.text(user=person_name(decision_maker) or "-"),
        )
    return cert


def certification_grant(*, certification, by, on, reason="") -> Certificate:
    """Grant: cycle starts on the decision date; certificate version 1 (or the next one); the
    cycle's audit programme is generated (audits.services.programme)."""
    with transaction.atomic():
        audits = list(certification.audits_under_decision("stage1", "stage2", "special"))
        cert = certification_transition(certification, "grant", by=by, on=on, reason=reason)
        decision = decision_record(
            cert, DecisionOutcome.GRANT, by=by, on=on, reason=reason, audits=audits
        )
        certificate = certificate_issue(cert, decision, on=on)
        programme_generate(certification=cert)
        return certificate


def certification_refuse(*, certification, reason, by, on) -> Decision:
    with transaction.atomic():
        audits = list(certification.audits_under_decision())
        cert = certification_transition(certification, "refuse", by=by, on=on, reason=reason)
        return decision_record(
            cert, DecisionOutcome.REFUSE, by=by, on=on, reason=reason, audits=audits
        )


def certification_recertify(*, certification, by, on, reason="") -> Certificate:
    """Recertification decided before expiry: expiry + 3 years, a new version, a new cycle
    with its programme."""
    with transaction.atomic():
        audits = list(certification.audits_under_decision("recertification", "special"))
        cert = certification_transition(certification, "recertify", by=by, on=on, reason=reason)
        decision = decision_record(
            cert, DecisionOutcome.RECERTIFY, by=by, on=on, reason=reason, audits=audits
        )
        certificate = certificate_issue(cert, decision, on=on)
        # What the old cycle still had planned will not take place; the new cycle's programme
        # replaces it.
        programme_cancel(
            certification=cert, reason=NOTE_NEW_CYCLE.text(), by=by, on=on, cycle=cert.cycle - 1
        )
        programme_generate(certification=cert)
        return certificate


def certification_restore_after_expiry(*, certification, by, on, reason="") -> Certificate:
    """Within the restoration window: outstanding work done, the certificate is restored with
    the old cycle's dates carried on; the time without a valid certificate stays visible."""
    with transaction.atomic():
        audits = list(certification.audits_under_decision("recertification", "special"))
        old_expiry = certification.expiry_date
        cert = certification_transition(
            certification, "restore_after_expiry", by=by, on=on, reason=reason
        )
        decision = decision_record(
            cert, DecisionOutcome.RESTORE_AFTER_EXPIRY, by=by, on=on, reason=reason, audits=audits
        )
        gap_from = old_expiry + datetime.timedelta(days=1)
        gap_to = on - datetime.timedelta(days=1)
        certificate = certificate_issue(
            cert,
            decision,
            on=on,
            gap_from=gap_from if gap_to >= gap_from else None,
            gap_to=gap_to if gap_to >= gap_from else None,
            # The expired version is replaced by this one (superseded), not left expired.
            restores_expired=True,
        )
        programme_cancel(
            certification=cert, reason=NOTE_NEW_CYCLE.text(), by=by, on=on, cycle=cert.cycle - 1
        )
        programme_generate(certification=cert)
        return certificate


def certification_expire(*, certification, by=None, on) -> Certification:
    """Not recertified by its expiry date: the certificate expires (system or staff)."""
    with transaction.atomic():
        cert = certification_transition(
            certification,
            "expire",
            by=by,
            on=on,
            reason=NOTE_EXPIRED.text(),
        )
        certificates_set_status(cert, CertificateStatus.EXPIRED)
        # Surveillances of an expired cycle will not be held; the recertification audit stays
        # planned: within the restoration window it is what restores the certificate.
        programme_cancel(
            certification=cert,
            reason=NOTE_CYCLE_EXPIRED.text(),
            by=by,
            on=on,
            kinds=[AuditKind.SURVEILLANCE],
        )
        return cert


def certification_suspend(*, certification, reason, by, on, at_client_request=False) -> Decision:
    """Suspension: invalid until restored; deadline SUSPENSION_MAX_MONTHS later.
    ``at_client_request``: the client asked for it (not for its own failings, so it does not
    bar a new application under CNCA-QMS-01:2025)."""
    with transaction.atomic():
        cert = certification_transition(certification, "suspend", by=by, on=on, reason=reason)
        certificates_set_status(cert, CertificateStatus.SUSPENDED)
        return decision_record(
            cert,
            DecisionOutcome.SUSPEND,
            by=by,
            on=on,
            reason=reason,
            at_client_request=at_client_request,
        )


def certification_lift_suspension(*, certification, reason, by, on) -> Decision:
    # Paired with certification_suspend: undo its certificate status here.
    with transaction.atomic():
        cert = certification_transition(
            certification, "lift_suspension", by=by, on=on, reason=reason
        )
        certificates_set_status(cert, CertificateStatus.CURRENT)
        return decision_record(cert, DecisionOutcome.LIFT_SUSPENSION, by=by, on=on, reason=reason)


def certification_withdraw(
    *, certification, reason, by, on, ending=None, at_client_request=False
) -> Decision:
    """End the certification by a decision: final for the cycle, a new application starts over.
    The cycle's still-planned programme audits are cancelled with the reason.

    ``ending`` (``Ending``) says why, as Chinese bodies and IAF CertSearch tell them apart:
    ``WITHDRAWN`` (撤销, the default) for failing the requirements, the certificate version
    becomes Withdrawn; ``CLIENT_REQUEST`` or ``CEASED`` (注销) is a cancellation: the version
    becomes Cancelled and the decision is at the client's request, so it does not bar a new
    application (CNCA-QMS-01:2025, certificates.rules.no_recent_suspension_or_withdrawal).
    ``at_client_request=True`` without an ending means a cancellation at the client's request
    (callers written before endings existed); with ``ending=WITHDRAWN`` it is refused."""
    if ending is None:
        ending = Ending.CLIENT_REQUEST if at_client_request else Ending.WITHDRAWN
    if ending not in Ending.values:
        raise CertificationError(MSG_UNKNOWN_ENDING % {"ending": ending})
    ending = Ending(ending)
    cancelled = ending.is_cancellation
    if at_client_request and not cancelled:
        raise CertificationError(MSG_WITHDRAWN_NOT_AT_REQUEST)
    note = ENDING_NOTES[ending].text(reason=reason.strip())
    with transaction.atomic():
        # The history row says which kind of ending it was (a note, read in the reader's
        # language); the decision keeps the reason as typed.
        cert = certification_transition(
            certification,
            "withdraw",
            by=by,
            on=on,
            reason=reason,
            description=note if cancelled else reason,
        )
        certificates_set_status(
            cert, CertificateStatus.CANCELLED if cancelled else CertificateStatus.WITHDRAWN
        )
        programme_cancel(certification=cert, reason=note, by=by, on=on)
        return decision_record(
            cert,
            DecisionOutcome.WITHDRAW,
            by=by,
            on=on,
            reason=reason,
            at_client_request=cancelled,
            ending=ending,
        )


def certification_reduce_scope(*, certification, scope, reason, by, on) -> Certificate:
    with transaction.atomic():
        cert = certification_transition(
            certification, "reduce_scope", by=by, on=on, reason=reason, scope=scope
        )
        decision = decision_record(cert, DecisionOutcome.REDUCE_SCOPE, by=by, on=on, reason=reason)
        return certificate_issue(cert, decision, on=on)


def certification_extend_scope(*, certification, extension, reason, by, on) -> Certificate:
    """The certification's side of a granted scope extension (``scope_extension_grant``): its
    scope becomes the extension's, the decision covers the special audit, and the new version
    is issued. Without a granted extension the certification's rule refuses it."""
    with transaction.atomic():
        audits = extension._decided_audits() if extension is not None else []
        cert = certification_transition(
            certification,
            "extend_scope",
            by=by,
            on=on,
            reason=reason,
            scope=getattr(extension, "scope", ""),
            extension=extension,
        )
        decision = decision_record(
            cert, DecisionOutcome.EXTEND_SCOPE, by=by, on=on, reason=reason, audits=audits
        )
        if extension is not None:
            extension.decision = decision
            extension.save(update_fields=["decision"])
        return certificate_issue(cert, decision, on=on)


def expire_due_certifications(*, on: datetime.date) -> int:
    """Expire every certification past its expiry date on ``on``. Returns how many."""
    count = 0
    for pk in Certification.objects.past_expiry(on=on).values_list("pk", flat=True).iterator():
        cert = Certification.objects.get(pk=pk)
        try:
            certification_expire(certification=cert, on=on)
        except CertificationError:
            continue  # changed meanwhile (e.g. recertified): nothing to do
        count += 1
    return count
