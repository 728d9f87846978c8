"""Applications and their review: recording an application opens (or reopens) one
certification per standard; the review accepts or rejects it."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from clients.models import Application

from ..bulk import OPENED, certifications_log
from ..errors import CertificationConflict, CertificationError
from ..models import Certification, State
from .common import MSG_NO_PERMISSION, certification_transition

MSG_IN_PROGRESS = _(
    "%(client)s already has a certification to %(standard)s in progress (“%(state)s”)."
)
MSG_NO_STANDARD = _("Choose at least one standard.")


def application_submit(*, client, standards, by, **fields) -> Application:
    """Record an application and open (or reopen) one certification per standard."""
    standards = list(standards)
    if not standards:
        raise CertificationError(MSG_NO_STANDARD)
    if by is not None and not by.has_perm("certificates.review_application"):
        raise CertificationError(MSG_NO_PERMISSION)
    sites = fields.pop("sites", ())
    with transaction.atomic():
        application = Application.objects.create(client=client, **fields)
        application.standards.set(standards)
        application.sites.set(sites)
        application_open_certifications(application=application, by=by)
    return application


def application_open_problems(*, client, standards) -> list[str]:
    """Why an application of ``client`` for ``standards`` cannot be recorded (empty: it can)."""
    reopenable = (State.REJECTED, State.REFUSED, State.WITHDRAWN)
    return [
        str(
            MSG_IN_PROGRESS
            % {"client": client, "standard": c.standard, "state": c.get_state_display()}
        )
        for c in Certification.objects.filter(client=client, standard__in=list(standards))
        .exclude(state__in=reopenable)
        .select_related("standard")
    ]


def application_open_certifications(*, application, by) -> list[Certification]:
    """For each standard applied for: a new certification in “applied”, or a rejected,
    refused or withdrawn one brought back by this new application."""
    opened = []
    with transaction.atomic():
        for standard in application.standards.all():
            client = application.client
            existing = (
                Certification.objects.select_for_update(of=("self",))
                .filter(client=client, standard=standard)
                .first()
            )
            if existing is None:
                try:
                    with transaction.atomic():
                        cert = Certification.objects.create(
                            client=client,
                            standard=standard,
                            application=application,
                            scope=application.scope,
                            state_since=application.received_on,
                        )
                        # Its first history row (from no state to "applied"), as every
                        # write to a certification leaves one.
                        certifications_log([cert], transition=OPENED, source_state=None, by=by)
                except IntegrityError:
                    raise CertificationConflict(
                        MSG_IN_PROGRESS
                        % {"client": client, "standard": standard, "state": State.APPLIED.label}
                    ) from None
            elif existing.state in (State.REJECTED, State.REFUSED, State.WITHDRAWN):
                cert = certification_transition(
                    existing,
                    "reapply",
                    by=by,
                    on=application.received_on,
                    application=application,
                    reason=str(_("New application")),
                )
            else:
                raise CertificationError(
                    MSG_IN_PROGRESS
                    % {
                        "client": client,
                        "standard": standard,
                        "state": existing.get_state_display(),
                    }
                )
            opened.append(cert)
    return opened


def certification_start_review(*, certification, by, on) -> Certification:
    with transaction.atomic():
        return certification_transition(certification, "start_review", by=by, on=on)


def certification_reject(*, certification, reason, by, on) -> Certification:
    with transaction.atomic():
        return certification_transition(certification, "reject", by=by, on=on, reason=reason)


def certification_accept(*, certification, by, on, reason="") -> Certification:
    """Accept the application: only with every intake condition and document in place."""
    with transaction.atomic():
        return certification_transition(certification, "accept", by=by, on=on, reason=reason)
