"""Applications and their review: recording an application opens (or reopens) one
certification per standard; the review accepts or rejects it."""

import os

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from clients.models import Application, ApplicationDocument, RequiredDocument
from core.notes import Note
from core.policy import policy
from infra.tabular.values import human_size

from ..bulk import OPENED, certifications_log
from ..errors import CertificationConflict, CertificationError
from ..models import Certification, State
from .common import MSG_NO_PERMISSION, certification_transition

MSG_IN_PROGRESS = _(
    "%(client)s already has a certification to %(standard)s in progress (“%(state)s”)."
)
MSG_NO_STANDARD = _("Choose at least one standard.")
MSG_FOREIGN_SITE = _("A site in scope must be a site of the applicant.")
# The history row of a reopened certification (stored in English, read in the reader's language).
NOTE_NEW_APPLICATION = Note(_("New application"))


def application_submit(*, client, standards, by, **fields) -> Application:
    """Record an application and open (or reopen) one certification per standard."""
    standards = list(standards)
    if not standards:
        raise CertificationError(MSG_NO_STANDARD)
    if by is not None and not by.has_perm("certificates.review_application"):
        raise CertificationError(MSG_NO_PERMISSION)
    sites = list(fields.pop("sites", ()))
    if any(s.client_id != client.pk for s in sites):
        raise CertificationError(MSG_FOREIGN_SITE)
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
                    reason=NOTE_NEW_APPLICATION.text(),
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


# -- The intake page's steps (the workspace): documents, facts, acceptance in one action -------
MSG_INTAKE_CLOSED = _(
    "The intake of this application is closed: no certification of it is still applied for "
    "or under review."
)
MSG_FILE_TOO_LARGE = _(
    "“%(name)s” is %(size)s: an application document may be at most %(limit)s. Nothing was saved."
)
MSG_FILE_TYPE = _("“%(name)s” is not a document type accepted (%(types)s). Nothing was saved.")
MSG_NOT_THIS_CHECKLIST = _("“%(title)s” is not on the checklist of this application's standards.")
MSG_NOTHING_TO_ACCEPT = _(
    "There is nothing to accept: no certification of this application is applied for or "
    "under review."
)
MSG_ACCEPT_STANDARD = _("%(standard)s: %(problem)s")

# The states in which an application's certification is still at intake.
INTAKE_STATES = (State.APPLIED, State.UNDER_REVIEW)
INTAKE_FIELDS = (
    "received_on",
    "scope",
    "effective_personnel",
    "language",
    "system_operating_since",
    "internal_audit_on",
    "management_review_on",
    "no_penalty_declared",
    "legal_registration_checked",
    "impartiality_threats",
    "notes",
)


def application_intake_certifications(application) -> list[Certification]:
    """The certifications this application opened that are still at intake (applied or under
    review), one per standard."""
    return list(
        Certification.objects.filter(application=application, state__in=INTAKE_STATES)
        .select_related("standard", "client", "application")
        .order_by("standard__code", "pk")
    )


def _intake_open(application, by):
    if by is not None and not by.has_perm("certificates.review_application"):
        raise CertificationError(MSG_NO_PERMISSION)
    if not Certification.objects.filter(application=application, state__in=INTAKE_STATES).exists():
        raise CertificationError(MSG_INTAKE_CLOSED)


def application_record_documents(
    *, application, by, received=None, files=None, notes=None
) -> list[ApplicationDocument]:
    """Record documents of the application's checklist: ``received`` maps a RequiredDocument
    (or its pk) to the day it was received (None: not received), ``files`` to an uploaded
    file (which also marks it received on ``received``'s day or the application's date when
    none is given), ``notes`` to a note. Only documents of the application's own standards;
    all or nothing."""
    received = {getattr(k, "pk", k): v for k, v in (received or {}).items()}
    files = {getattr(k, "pk", k): v for k, v in (files or {}).items()}
    notes = {getattr(k, "pk", k): v for k, v in (notes or {}).items()}
    wanted = set(received) | set(files) | set(notes)
    _check_files([f for f in files.values() if f is not None])
    # (storage, name) of the files stored, removed again if the save fails
    written: list[tuple] = []
    try:
        return _record_documents(application, by, received, files, notes, wanted, written)
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise


def _check_files(files) -> None:
    """Refuse, before anything is stored, a file over APPLICATION_DOCUMENT_MAX_BYTES or of a
    type not in APPLICATION_DOCUMENT_TYPES, naming each."""
    limit = policy("APPLICATION_DOCUMENT_MAX_BYTES")
    types = [t.lower().lstrip(".") for t in policy("APPLICATION_DOCUMENT_TYPES")]
    problems = []
    for upload in files:
        name = os.path.basename(upload.name or "")
        ending = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ending not in types:
            problems.append(MSG_FILE_TYPE % {"name": name, "types": ", ".join(types)})
        elif upload.size is not None and upload.size > limit:
            problems.append(
                MSG_FILE_TOO_LARGE
                % {"name": name, "size": human_size(upload.size), "limit": human_size(limit)}
            )
    if problems:
        raise CertificationError(*problems)


def _record_documents(application, by, received, files, notes, wanted, written):
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        _intake_open(application, by)
        checklist = {
            d.pk: d
            for d in RequiredDocument.objects.filter(standard__in=application.standards.all())
        }
        unknown = wanted - set(checklist)
        if unknown:
            titles = RequiredDocument.objects.filter(pk__in=unknown).order_by("pk")
            raise CertificationError(
                *[MSG_NOT_THIS_CHECKLIST % {"title": d.localized_title} for d in titles]
                or [MSG_NOT_THIS_CHECKLIST % {"title": ", ".join(map(str, sorted(unknown)))}]
            )
        existing = {
            d.required_document_id: d
            for d in application.documents.filter(required_document_id__in=wanted)
        }
        saved = []
        for pk in sorted(wanted):
            doc = existing.get(pk) or ApplicationDocument(
                application=application, required_document=checklist[pk]
            )
            if pk in received:
                doc.received_on = received[pk]
            if files.get(pk) is not None:
                doc.file = files[pk]
                if doc.received_on is None:
                    doc.received_on = received.get(pk) or application.received_on
            if pk in notes:
                doc.note = (notes[pk] or "")[:255]
            doc.save()
            if files.get(pk) is not None:
                written.append((doc.file.storage, doc.file.name))
            saved.append(doc)
    return saved


def application_update_intake(*, application, by, **fields) -> Application:
    """Change the intake facts of an application still at intake (the fields of
    ``INTAKE_FIELDS``, and ``sites``: sites of its own client only)."""
    sites = fields.pop("sites", None)
    unknown = set(fields) - set(INTAKE_FIELDS)
    if unknown:
        raise TypeError(f"not intake fields: {sorted(unknown)}")
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        _intake_open(application, by)
        for name, value in fields.items():
            setattr(application, name, value)
        application.save()
        if sites is not None:
            sites = list(sites)
            if any(s.client_id != application.client_id for s in sites):
                raise CertificationError(MSG_FOREIGN_SITE)
            application.sites.set(sites)
    return application


def application_accept_problems(*, application, by, on) -> list[str]:
    """Why ``application_accept`` would refuse now, in plain words, each prefixed with its
    standard when the application has several (empty: it would accept)."""
    certs = application_intake_certifications(application)
    if not certs:
        return [str(MSG_NOTHING_TO_ACCEPT)]
    if by is not None and not by.has_perm("certificates.review_application"):
        return [str(MSG_NO_PERMISSION)]
    problems = []
    for cert in certs:
        cert.rule_context(on=on, by=by)
        for problem in cert.blockers("accept"):
            if len(certs) > 1:
                problem = str(MSG_ACCEPT_STANDARD % {"standard": cert.standard, "problem": problem})
            problems.append(problem)
    return list(dict.fromkeys(problems))


def application_accept(*, application, by, on, reason="") -> list[Certification]:
    """Accept the application for every standard still at intake, in one step: start the
    review where it has not started, then accept (the rules of ``accept``: every intake
    condition, every document, the audit-time calculation). All or nothing: one refusal
    leaves every certification as it was."""
    certs = application_intake_certifications(application)
    if not certs:
        raise CertificationError(MSG_NOTHING_TO_ACCEPT)
    accepted = []
    with transaction.atomic():
        for cert in certs:
            if cert.state == State.APPLIED:
                cert = certification_transition(cert, "start_review", by=by, on=on)
            accepted.append(certification_transition(cert, "accept", by=by, on=on, reason=reason))
    return accepted
