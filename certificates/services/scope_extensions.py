"""Scope extension (certificates/models/scope_extensions.py): an application (services, sites
added), its review (a special audit, or why none is needed), the special audit, then the
decision issuing the new version through the certification's ``extend_scope``."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audits.models import AuditKind
from audits.services import audit_create
from core.notes import Note
from core.transitions import run_transition

from ..errors import CertificationConflict, CertificationError
from ..models import Certificate, ExtensionState, ScopeExtension, State
from ..models.scope_extensions import MSG_NOTHING_ADDED
from .common import certification_touch
from .decisions import certification_extend_scope

MSG_EXTENSION_CONFLICT = _(
    "Someone else changed this scope extension while you were working on it (it is now "
    "“%(state)s”). Nothing was changed: reload the page and try again."
)
MSG_EXTENSION_FROM_ACTIVE = _(
    "The certification is “%(state)s”: a scope extension is applied for on an active certification."
)
MSG_EXTENSION_SCOPE = _("Write the scope as the certificate will print it after the extension.")
NOTE_AUDIT_NEEDED = Note(_("Special audit needed."))
NOTE_NO_AUDIT = Note(_("No audit needed: %(why)s"))


def scope_extension_apply_problems(*, certification, received_on, services, scope, sites=()):
    """Why this extension application cannot be recorded (empty: it can)."""
    problems: list[str] = []
    if certification.state != State.ACTIVE:
        state = certification.get_state_display()
        problems.append(str(MSG_EXTENSION_FROM_ACTIVE % {"state": state}))
    if not (services or "").strip():
        problems.append(str(MSG_NOTHING_ADDED))
    if not (scope or "").strip():
        problems.append(str(MSG_EXTENSION_SCOPE))
    problems += ScopeExtension(certification=certification).site_problems(sites)
    return problems


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
    note = NOTE_AUDIT_NEEDED.text() if audit_needed else NOTE_NO_AUDIT.text(why=justification)
    with transaction.atomic():
        return _extension_step(
            extension,
            "review",
            by=by,
            on=on,
            description=note,
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
