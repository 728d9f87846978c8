"""Certification use cases, always in the same order (pretix's shape):

    transaction.atomic() -> select_for_update() -> conflict check -> permission ->
    transition (rules) -> save() -> decision / certificate rows -> on_commit effects

Each takes the certification *as the user saw it*: if someone else changed it meanwhile
(``revision`` moved on), the service refuses with a conflict message and changes nothing.
``by=None`` means the system acts (e.g. the nightly expiry task).
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from audits.models import AuditKind
from audits.services import audit_create, programme_cancel, programme_generate
from clients.models import Application
from core.dates import add_months
from core.errors import ConflictError, DomainError
from core.policy import policy
from core.transitions import run_transition
from infra.queueing import enqueue_after_commit

from .models import (
    Certificate,
    CertificateStatus,
    Certification,
    Decision,
    DecisionOutcome,
    ExtensionState,
    ScopeExtension,
    State,
    holder_of,
)


class CertificationError(DomainError):
    """Why a certification action was refused, in words for the user."""


class CertificationConflict(CertificationError, ConflictError):
    pass


MSG_CONFLICT = _(
    "Someone else changed this certification while you were working on it (it is now "
    "“%(state)s”). Nothing was changed: reload the page and try again."
)
MSG_IN_PROGRESS = _(
    "%(client)s already has a certification to %(standard)s in progress (“%(state)s”)."
)
MSG_NO_STANDARD = _("Choose at least one standard.")
MSG_NO_PERMISSION = _("You do not have permission to do this.")
REASON_WITHDRAWN = _("Certification withdrawn: %(reason)s")
REASON_EXPIRED = _("The certificate expired: no surveillance in an expired cycle.")
REASON_NEW_CYCLE = _("A new cycle began: its own programme replaces this audit.")


# -- helpers ------------------------------------------------------------------------------------
def _lock(certification: Certification, *, expected_revision: int | None = None):
    locked = (
        Certification.objects.select_for_update(of=("self",))
        .select_related("client", "standard", "application")
        .get(pk=certification.pk)
    )
    expected = certification.revision if expected_revision is None else expected_revision
    if locked.revision != expected:
        raise CertificationConflict(MSG_CONFLICT % {"state": locked.get_state_display()})
    return locked


def _apply(certification, name, *, by, on, expected_revision=None, reason="", **extra):
    """Lock, check and take one transition; the caller is inside transaction.atomic()."""
    cert = _lock(certification, expected_revision=expected_revision)
    run_transition(
        cert,
        name,
        by=by,
        on=on,
        error=CertificationError,
        description=reason,
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
    cert = _lock(certification)
    cert.revision += 1
    cert.save(update_fields=["revision"])
    return cert


def _decide(cert, outcome, *, by, on, reason, audits=(), at_client_request=False) -> Decision:
    decision = Decision.objects.create(
        certification=cert,
        outcome=outcome,
        decided_on=on,
        decided_by=by,
        reason=reason or "",
        at_client_request=at_client_request,
    )
    ids = [a.pk for a in audits]
    if ids:
        cert.audits.filter(pk__in=ids).update(decision=decision)
    return decision


def _certificate_number(cert: Certification) -> str:
    prefix = policy("CERTIFICATE_NUMBER_PREFIX")
    return f"{prefix}-{cert.standard.certificate_code}-{cert.pk:06d}"


def _issue_certificate(cert, decision, *, on, gap_from=None, gap_to=None) -> Certificate:
    """A new certificate version; the one it replaces is kept, marked superseded."""
    if not cert.certificate_number:
        cert.certificate_number = _certificate_number(cert)
        cert.save(update_fields=["certificate_number"])
    previous = cert.certificates.order_by("-version").first()
    # No generation time: its PDF lacks the superseded mark until re-rendered (the sweep, in
    # infra/queueing.py, renders it if the queued task is lost).
    cert.certificates.filter(
        status__in=[CertificateStatus.CURRENT, CertificateStatus.SUSPENDED]
    ).update(status=CertificateStatus.SUPERSEDED, pdf_generated_at=None)
    certificate = Certificate.objects.create(
        certification=cert,
        number=cert.certificate_number,
        version=(previous.version + 1) if previous else 1,
        standard=cert.standard,
        scope=cert.scope,
        effective_date=on,
        expiry_date=cert.expiry_date,
        original_certification_date=cert.original_certification_date,
        status=CertificateStatus.CURRENT,
        decision=decision,
        gap_from=gap_from,
        gap_to=gap_to,
        holder=holder_of(cert),
    )
    _render_pdfs_after_commit(certificate, previous)
    return certificate


def _render_pdfs_after_commit(*certificates):
    """Queue the PDFs once the decision is committed: the new version, and the one it replaced
    (re-rendered with its superseded mark; unchanged bytes are not rewritten). The request does
    not wait on the broker (infra/queueing.py); a PDF whose task was lost is rendered by the
    sweep (every 10 minutes) or on first download."""
    from .tasks import generate_certificate_pdf  # tasks import this module

    for certificate in certificates:
        if certificate is not None:
            enqueue_after_commit(generate_certificate_pdf, certificate.pk)


def _set_certificate_status(cert, status):
    cert.certificates.filter(
        status__in=[CertificateStatus.CURRENT, CertificateStatus.SUSPENDED]
    ).update(status=status)


# -- application and review ------------------------------------------------------------------
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
                except IntegrityError:
                    raise CertificationConflict(
                        MSG_IN_PROGRESS
                        % {"client": client, "standard": standard, "state": State.APPLIED.label}
                    ) from None
            elif existing.state in (State.REJECTED, State.REFUSED, State.WITHDRAWN):
                cert = _apply(
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
        return _apply(certification, "start_review", by=by, on=on)


def certification_reject(*, certification, reason, by, on) -> Certification:
    with transaction.atomic():
        return _apply(certification, "reject", by=by, on=on, reason=reason)


def certification_accept(*, certification, by, on, reason="") -> Certification:
    """Accept the application: only with every intake condition and document in place."""
    with transaction.atomic():
        return _apply(certification, "accept", by=by, on=on, reason=reason)


# -- stages ------------------------------------------------------------------------------------
def certification_plan_stage1(
    *,
    certification,
    planned_start,
    planned_end,
    team_leader,
    members=(),
    technical_experts=(),
    justification="",
    acknowledge_warnings=True,
    by,
    on,
):
    """Plan stage 1; a second stage 1 needs a justification (impartiality risk). The team goes
    through the team rules (audits.services.teams); the audit time comes from the
    application's audit-time calculation."""
    with transaction.atomic():
        name = "repeat_stage1" if certification.state == State.STAGE1 else "begin_stage1"
        cert = _apply(
            certification, name, by=by, on=on, reason=justification, justification=justification
        )
        audit = audit_create(
            certification=cert,
            kind=AuditKind.STAGE1,
            planned_start=planned_start,
            planned_end=planned_end,
            team_leader=team_leader,
            members=members,
            technical_experts=technical_experts,
            justification=justification,
            acknowledge_warnings=acknowledge_warnings,
        )
    return cert, audit


def certification_plan_stage2(
    *,
    certification,
    planned_start,
    planned_end,
    team_leader,
    members=(),
    technical_experts=(),
    justification="",
    acknowledge_warnings=True,
    by,
    on,
):
    """Plan stage 2: after stage 1 closed as ready; or a new stage 2 when the decision cannot
    be taken (majors past their limit) or after the restoration window."""
    with transaction.atomic():
        name = "begin_stage2" if certification.state == State.STAGE1 else "new_stage2"
        cert = _apply(
            certification,
            name,
            by=by,
            on=on,
            reason=justification,
            justification=justification,
            planned_start=planned_start,
        )
        audit = audit_create(
            certification=cert,
            kind=AuditKind.STAGE2,
            planned_start=planned_start,
            planned_end=planned_end,
            team_leader=team_leader,
            members=members,
            technical_experts=technical_experts,
            justification=justification,
            acknowledge_warnings=acknowledge_warnings,
        )
    return cert, audit


def certification_submit_for_decision(*, certification, by, on) -> Certification:
    with transaction.atomic():
        return _apply(certification, "submit_for_decision", by=by, on=on)


# -- decisions -----------------------------------------------------------------------------------
def certification_grant(*, certification, by, on, reason="") -> Certificate:
    """Grant: cycle starts on the decision date; certificate version 1 (or the next one); the
    cycle's audit programme is generated (audits.services.programme)."""
    with transaction.atomic():
        audits = list(certification.audits_under_decision("stage1", "stage2", "special"))
        cert = _apply(certification, "grant", by=by, on=on, reason=reason)
        decision = _decide(cert, DecisionOutcome.GRANT, by=by, on=on, reason=reason, audits=audits)
        certificate = _issue_certificate(cert, decision, on=on)
        programme_generate(certification=cert)
        return certificate


def certification_refuse(*, certification, reason, by, on) -> Decision:
    with transaction.atomic():
        audits = list(certification.audits_under_decision())
        cert = _apply(certification, "refuse", by=by, on=on, reason=reason)
        return _decide(cert, DecisionOutcome.REFUSE, by=by, on=on, reason=reason, audits=audits)


def certification_recertify(*, certification, by, on, reason="") -> Certificate:
    """Recertification decided before expiry: expiry + 3 years, a new version, a new cycle
    with its programme."""
    with transaction.atomic():
        audits = list(certification.audits_under_decision("recertification", "special"))
        cert = _apply(certification, "recertify", by=by, on=on, reason=reason)
        decision = _decide(
            cert, DecisionOutcome.RECERTIFY, by=by, on=on, reason=reason, audits=audits
        )
        certificate = _issue_certificate(cert, decision, on=on)
        # What the old cycle still had planned will not take place; the new cycle's programme
        # replaces it.
        programme_cancel(
            certification=cert, reason=REASON_NEW_CYCLE, by=by, on=on, cycle=cert.cycle - 1
        )
        programme_generate(certification=cert)
        return certificate


def certification_restore_after_expiry(*, certification, by, on, reason="") -> Certificate:
    """Within the restoration window: outstanding work done, the certificate is restored with
    the old cycle's dates carried on; the time without a valid certificate stays visible."""
    with transaction.atomic():
        audits = list(certification.audits_under_decision("recertification", "special"))
        old_expiry = certification.expiry_date
        cert = _apply(certification, "restore_after_expiry", by=by, on=on, reason=reason)
        decision = _decide(
            cert, DecisionOutcome.RESTORE_AFTER_EXPIRY, by=by, on=on, reason=reason, audits=audits
        )
        gap_from = old_expiry + datetime.timedelta(days=1)
        gap_to = on - datetime.timedelta(days=1)
        certificate = _issue_certificate(
            cert,
            decision,
            on=on,
            gap_from=gap_from if gap_to >= gap_from else None,
            gap_to=gap_to if gap_to >= gap_from else None,
        )
        programme_cancel(
            certification=cert, reason=REASON_NEW_CYCLE, by=by, on=on, cycle=cert.cycle - 1
        )
        programme_generate(certification=cert)
        return certificate


def certification_expire(*, certification, by=None, on) -> Certification:
    """Not recertified by its expiry date: the certificate expires (system or staff)."""
    with transaction.atomic():
        cert = _apply(
            certification,
            "expire",
            by=by,
            on=on,
            reason=str(_("Expiry date passed without a recertification decision.")),
        )
        _set_certificate_status(cert, CertificateStatus.EXPIRED)
        # Surveillances of an expired cycle will not be held; the recertification audit stays
        # planned: within the restoration window it is what restores the certificate.
        programme_cancel(
            certification=cert, reason=REASON_EXPIRED, by=by, on=on, kinds=[AuditKind.SURVEILLANCE]
        )
        return cert


def certification_suspend(*, certification, reason, by, on, at_client_request=False) -> Decision:
    """Suspension: invalid until restored; deadline SUSPENSION_MAX_MONTHS later.
    ``at_client_request``: the client asked for it (not for its own failings, so it does not
    bar a new application under CNCA-QMS-01:2025)."""
    with transaction.atomic():
        cert = _apply(certification, "suspend", by=by, on=on, reason=reason)
        _set_certificate_status(cert, CertificateStatus.SUSPENDED)
        return _decide(
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
        cert = _apply(certification, "lift_suspension", by=by, on=on, reason=reason)
        _set_certificate_status(cert, CertificateStatus.CURRENT)
        return _decide(cert, DecisionOutcome.LIFT_SUSPENSION, by=by, on=on, reason=reason)


def certification_withdraw(*, certification, reason, by, on, at_client_request=False) -> Decision:
    """Withdrawal is final for the cycle; a new application starts over. The cycle's
    still-planned programme audits are cancelled with the reason. ``at_client_request`` as
    for certification_suspend."""
    with transaction.atomic():
        cert = _apply(certification, "withdraw", by=by, on=on, reason=reason)
        _set_certificate_status(cert, CertificateStatus.WITHDRAWN)
        programme_cancel(
            certification=cert,
            reason=REASON_WITHDRAWN % {"reason": reason.strip()},
            by=by,
            on=on,
        )
        return _decide(
            cert,
            DecisionOutcome.WITHDRAW,
            by=by,
            on=on,
            reason=reason,
            at_client_request=at_client_request,
        )


def certification_reduce_scope(*, certification, scope, reason, by, on) -> Certificate:
    with transaction.atomic():
        cert = _apply(certification, "reduce_scope", by=by, on=on, reason=reason, scope=scope)
        decision = _decide(cert, DecisionOutcome.REDUCE_SCOPE, by=by, on=on, reason=reason)
        return _issue_certificate(cert, decision, on=on)


def certification_extend_scope(*, certification, extension, reason, by, on) -> Certificate:
    """The certification's side of a granted scope extension (``scope_extension_grant``): its
    scope becomes the extension's, the decision covers the special audit, and the new version
    is issued. Without a granted extension the certification's rule refuses it."""
    with transaction.atomic():
        audits = extension._decided_audits() if extension is not None else []
        cert = _apply(
            certification,
            "extend_scope",
            by=by,
            on=on,
            reason=reason,
            scope=getattr(extension, "scope", ""),
            extension=extension,
        )
        decision = _decide(
            cert, DecisionOutcome.EXTEND_SCOPE, by=by, on=on, reason=reason, audits=audits
        )
        if extension is not None:
            extension.decision = decision
            extension.save(update_fields=["decision"])
        return _issue_certificate(cert, decision, on=on)


# -- scope extension ----------------------------------------------------------------------------
# An application (services, sites added), its review (a special audit, or why none is needed),
# the special audit, then the decision issuing the new version (certificates/scope_extensions.py).
MSG_EXTENSION_CONFLICT = _(
    "Someone else changed this scope extension while you were working on it (it is now "
    "“%(state)s”). Nothing was changed: reload the page and try again."
)
MSG_EXTENSION_FROM_ACTIVE = _(
    "The certification is “%(state)s”: a scope extension is applied for on an active certification."
)
MSG_EXTENSION_SCOPE = _("Write the scope as the certificate will print it after the extension.")
NOTE_AUDIT_NEEDED = _("Special audit needed.")
NOTE_NO_AUDIT = _("No audit needed: %(why)s")


def scope_extension_apply_problems(*, certification, received_on, services, scope, sites=()):
    """Why this extension application cannot be recorded (empty: it can)."""
    from .scope_extensions import MSG_NOTHING_ADDED

    problems = []
    if certification.state != State.ACTIVE:
        problems.append(MSG_EXTENSION_FROM_ACTIVE % {"state": certification.get_state_display()})
    if not (services or "").strip():
        problems.append(MSG_NOTHING_ADDED)
    if not (scope or "").strip():
        problems.append(MSG_EXTENSION_SCOPE)
    problems += ScopeExtension(certification=certification).site_problems(sites)
    return [str(p) for p in problems]


def scope_extension_apply(
    *, certification, received_on, services, scope, sites=(), by
) -> ScopeExtension:
    """Record a client's application to extend the scope of an active certification."""
    with transaction.atomic():
        cert = certification_touch(
            certification, by=by, permission="certificates.review_application"
        )
        problems = scope_extension_apply_problems(
            certification=cert, received_on=received_on, services=services, scope=scope, sites=sites
        )
        if problems:
            raise CertificationError(*problems)
        extension = ScopeExtension.objects.create(
            certification=cert,
            application=cert.application,
            received_on=received_on,
            services=services.strip(),
            scope=scope.strip(),
            state_since=received_on,
        )
        extension.sites.set(sites)
        return extension


def _lock_extension(extension) -> ScopeExtension:
    locked = (
        ScopeExtension.objects.select_for_update(of=("self",))
        .select_related("certification__client", "audit")
        .get(pk=extension.pk)
    )
    if locked.revision != extension.revision:
        raise CertificationConflict(MSG_EXTENSION_CONFLICT % {"state": locked.get_state_display()})
    return locked


def _extension_step(extension, name, *, by, on, description="", **extra) -> ScopeExtension:
    """Lock, check and take one transition of the extension; inside transaction.atomic()."""
    ext = _lock_extension(extension)
    run_transition(
        ext, name, by=by, on=on, error=CertificationError, description=description, **extra
    )
    ext.revision += 1
    ext.save()
    return ext


def scope_extension_review(*, extension, audit_needed, justification="", by, on) -> ScopeExtension:
    """The application review: a special audit is needed, or the review records why not."""
    justification = (justification or "").strip()
    note = NOTE_AUDIT_NEEDED if audit_needed else NOTE_NO_AUDIT % {"why": justification}
    with transaction.atomic():
        return _extension_step(
            extension,
            "review",
            by=by,
            on=on,
            description=str(note),
            audit_needed=audit_needed,
            justification=justification,
        )


def scope_extension_plan_audit(
    *,
    extension,
    planned_start,
    planned_end,
    team_leader,
    members=(),
    technical_experts=(),
    acknowledge_warnings=True,
    by,
    on,
):
    """Plan the special audit the review asked for (the audit services' team and audit-time
    rules); the decision waits for its closure."""
    with transaction.atomic():
        ext = _lock_extension(extension)
        cert = certification_touch(
            ext.certification, by=by, permission="certificates.manage_certification"
        )
        ext.rule_context(on=on, by=by)
        if not ext.blockers("plan_audit") and ext.state == ExtensionState.REVIEWED:
            audit = audit_create(
                certification=cert,
                kind=AuditKind.SPECIAL,
                planned_start=planned_start,
                planned_end=planned_end,
                team_leader=team_leader,
                members=members,
                technical_experts=technical_experts,
                justification=str(_("Scope extension: %(services)s") % {"services": ext.services}),
                acknowledge_warnings=acknowledge_warnings,
            )
        else:
            audit = None  # run_transition says why not
        ext = _extension_step(ext, "plan_audit", by=by, on=on, audit=audit)
        return ext, audit


def scope_extension_grant(*, extension, reason, by, on) -> Certificate:
    """Grant the extension: the certification's ``extend_scope`` issues the new certificate
    version with the extended scope and sites; the special audit is decided with it."""
    with transaction.atomic():
        ext = _extension_step(extension, "grant", by=by, on=on, description=reason, reason=reason)
        return certification_extend_scope(
            certification=ext.certification, extension=ext, reason=reason, by=by, on=on
        )


def scope_extension_refuse(*, extension, reason, by, on) -> ScopeExtension:
    """Refuse the extension: the certification and its certificate stay as they are."""
    with transaction.atomic():
        return _extension_step(extension, "refuse", by=by, on=on, description=reason, reason=reason)


def certification_record_surveillance(certification, *, audit) -> Certification:
    """A surveillance audit closed: when it was held for the surveillance due (ended within
    the 12 months before the due date, or after it: held late), count it and move the next
    due date on.

    Surveillance is a minimum: at least one in each calendar year of the cycle but the
    recertification year (ISO/IEC 17021-1 9.6.2.2), one per due date of
    ``surveillance_due_dates`` (the first within 12 months of the decision). A second one in
    the same period is allowed but neither counts nor stands for the next due date: the next
    year still needs its own, and a due date with none is overdue
    (``CertificationQuerySet.surveillance_overdue``)."""
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    if audit.cycle != cert.cycle:
        return cert
    due = cert.next_surveillance_due
    held = audit.actual_end or audit.planned_end
    if due is None or held is None or held < add_months(due, -12):
        return cert  # an additional surveillance: the due date stays
    cert.surveillances_done += 1
    dues = cert.surveillance_due_dates()
    cert.next_surveillance_due = (
        dues[cert.surveillances_done] if cert.surveillances_done < len(dues) else None
    )
    cert.revision += 1
    cert.save(update_fields=["surveillances_done", "next_surveillance_due", "revision"])
    return cert


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


# -- existing certificates (clients/imports/certificate_import.py) ------------------------------
MSG_IMPORTED_MIGRATED = _(
    "Imported: certification migrated from the body's previous system; certificate %(number)s."
)
MSG_IMPORTED_TRANSFERRED = _(
    "Imported from another certification body (transfer, IAF MD 2); certificate %(number)s."
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
    original is the old system's (or the other body's)."""
    reason = str(
        (MSG_IMPORTED_TRANSFERRED if transferred else MSG_IMPORTED_MIGRATED)
        % {"number": number.strip()}
    )
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


def _import_existing(certification, *, reason, status, issued_on, by, on, **extra) -> Certificate:
    if certification.pk is None:
        certification.save()
    cert = _apply(
        certification,
        "import_existing",
        by=by,
        on=on,
        reason=reason,
        target=status,
        issued_on=issued_on,
        **extra,
    )
    grant = _decide(cert, DecisionOutcome.GRANT, by=None, on=issued_on, reason=reason)
    certificate = Certificate.objects.create(
        certification=cert,
        number=cert.certificate_number,
        version=1,
        standard=cert.standard,
        scope=cert.scope,
        effective_date=issued_on,
        expiry_date=cert.expiry_date,
        original_certification_date=cert.original_certification_date,
        status=_IMPORTED_CERTIFICATE_STATUS[cert.state],
        decision=grant,
        holder=holder_of(cert),
    )
    if cert.state in _IMPORTED_DECISION:
        _decide(cert, _IMPORTED_DECISION[cert.state], by=None, on=on, reason=reason)
    return certificate
