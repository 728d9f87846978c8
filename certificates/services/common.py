"""The steps every certification use case shares (pretix's shape):

    transaction.atomic() -> select_for_update() -> conflict check -> permission ->
    transition (rules) -> save() -> decision / certificate rows -> on_commit effects

Each use case takes the certification *as the user saw it*: if someone else changed it meanwhile
(``revision`` moved on), it refuses with a conflict message and changes nothing.
"""

from django.utils.translation import gettext_lazy as _

from core.transitions import run_transition

from ..errors import CertificationConflict, CertificationError
from ..models import Certification, Decision

MSG_CONFLICT = _(
    "Someone else changed this certification while you were working on it (it is now "
    "“%(state)s”). Nothing was changed: reload the page and try again."
)
MSG_NO_PERMISSION = _("You do not have permission to do this.")


def certification_lock(certification: Certification, *, expected_revision: int | None = None):
    """The certification's row, locked: refused with a conflict when it changed meanwhile."""
    locked = (
        Certification.objects.select_for_update(of=("self",))
        .select_related("client", "standard", "application")
        .get(pk=certification.pk)
    )
    expected = certification.revision if expected_revision is None else expected_revision
    if locked.revision != expected:
        raise CertificationConflict(MSG_CONFLICT % {"state": locked.get_state_display()})
    return locked


def certification_transition(
    certification, name, *, by, on, expected_revision=None, reason="", description=None, **extra
):
    """Lock, check and take one transition; the caller is inside transaction.atomic(). The
    history row's ``description`` is the reason unless given (e.g. a Note's stored text)."""
    cert = certification_lock(certification, expected_revision=expected_revision)
    run_transition(
        cert,
        name,
        by=by,
        on=on,
        error=CertificationError,
        description=reason if description is None else description,
        reason=reason,
        **extra,
    )
    cert.revision += 1
    cert.save()
    return cert


def certification_touch(certification, *, by, permission: str) -> Certification:
    """Lock the certification for a change that is not a transition (e.g. planning an audit)
    and bump its revision, so concurrent edits conflict instead of interleaving."""
    if by is not None and not by.has_perm(permission):
        raise CertificationError(MSG_NO_PERMISSION)
    cert = certification_lock(certification)
    cert.revision += 1
    cert.save(update_fields=["revision"])
    return cert


def decision_record(
    cert, outcome, *, by, on, reason, audits=(), at_client_request=False, ending=""
) -> Decision:
    """The decision row, covering ``audits`` (the audits it rests on)."""
    decision = Decision.objects.create(
        certification=cert,
        outcome=outcome,
        decided_on=on,
        decided_by=by,
        reason=reason or "",
        at_client_request=at_client_request,
        ending=ending,
    )
    ids = [a.pk for a in audits]
    if ids:
        cert.audits.filter(pk__in=ids).update(decision=decision)
    return decision
