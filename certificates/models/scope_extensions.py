"""Scope extension: an application, its review, a special audit (or a recorded justification
that none is needed), then the decision that issues the new certificate version
(shared/domain.md, Scope reduction / extension; ISO/IEC 17021-1 9.6.4 and 9.1.2).

    applied --review--> reviewed --plan_audit--> audit_planned --grant--> granted
                           |                          \\--refuse--> refused
                           \\--grant / refuse (review recorded why no audit is needed)

The certification's ``extend_scope`` is taken only through a granted extension
(certificates.services.scope_extension_grant): its scope and sites are those of the
extension, and the special audit is decided with it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from audits.models import AuditState
from core.rules import RuleMixin, logged_transition, rules_hold

MSG_CHOOSE_AUDIT = _("Say whether the extension needs a special audit.")
MSG_NO_AUDIT_JUSTIFY = _(
    "The review found no audit needed: record why (e.g. the added services were already "
    "verified at the surveillance audit)."
)
MSG_NO_AUDIT_PLANNED = _(
    "The review found no audit needed for this extension: there is no special audit to plan."
)
MSG_PLAN_AUDIT_FIRST = _(
    "The review asked for a special audit: plan it, and close it, before the decision."
)
MSG_AUDIT_NOT_CLOSED = _(
    "The special audit for this extension is not closed yet (it is “%(state)s”): the "
    "decision waits for its closure."
)
MSG_AUDIT_OPEN_REFUSE = _(
    "The special audit for this extension is still “%(state)s”: close or cancel it first."
)
MSG_NOT_ACTIVE = _(
    "The certification is “%(state)s”: only the scope of an active certification is extended."
)
MSG_REASON = _("A reason is required.")
MSG_SITE_OTHER_CLIENT = _("The site %(site)s is not a site of %(client)s.")
MSG_NOTHING_ADDED = _("Write the services added to the scope.")


class ExtensionState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    REVIEWED = "reviewed", _("Reviewed")
    AUDIT_PLANNED = "audit_planned", _("Special audit planned")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class ScopeExtension(RuleMixin, FSMModelMixin, models.Model):
    """A client's application to extend the scope of one certification: what is added
    (services, sites), the review's choice (a special audit, or why none is needed), the
    special audit and the decision."""

    certification = models.ForeignKey(
        "certificates.Certification",
        on_delete=models.PROTECT,
        related_name="scope_extensions",
        verbose_name=_("certification"),
    )
    received_on = models.DateField(_("received on"))
    services = models.TextField(
        _("services added"), help_text=_("What the extension adds to the certified scope.")
    )
    scope = models.TextField(
        _("scope after the extension"),
        help_text=_("The whole scope as the new certificate version will print it."),
    )
    sites = models.ManyToManyField(
        "clients.Site",
        blank=True,
        related_name="scope_extensions",
        verbose_name=_("sites added"),
    )
    # The application the extension adds to (the certification's, when it was received): the
    # certificate prints the application's sites and those of the extensions granted on it.
    application = models.ForeignKey(
        "clients.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="scope_extensions",
        verbose_name=_("application extended"),
    )
    state = FSMField(
        _("state"), default=ExtensionState.APPLIED, choices=ExtensionState.choices, protected=True
    )
    state_since = models.DateField(_("in this state since"), null=True, blank=True, editable=False)
    audit_needed = models.BooleanField(_("special audit needed"), null=True, editable=False)
    no_audit_justification = models.TextField(
        _("why no audit is needed"), blank=True, editable=False
    )
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    audit = models.OneToOneField(
        "audits.Audit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="scope_extension",
        verbose_name=_("special audit"),
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision = models.OneToOneField(
        "certificates.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="scope_extension",
        verbose_name=_("decision"),
    )
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)

    class Meta:
        verbose_name = _("scope extension")
        verbose_name_plural = _("scope extensions")
        ordering = ["-received_on", "-pk"]

    def __str__(self):
        return f"{self.certification} + {self.services[:40]}"

    # -- Rules: certificates/rules.py (TABLE) ------------------------------------------------
    def site_problems(self, sites) -> list[str]:
        """Sites added must be the certification's client's own."""
        client = self.certification.client
        return [
            str(MSG_SITE_OTHER_CLIENT % {"site": site, "client": client})
            for site in sites
            if site.client_id != client.pk
        ]

    def _decided_audits(self):
        """The special audit the decision rests on, once closed (and not decided already)."""
        audit = self.audit
        return [audit] if audit is not None and audit.state == AuditState.CLOSED else []

    def blockers(self, name: str) -> list[str]:
        # The rules (certificates/rules.py, TABLE) ask the certification's own rules too, which
        # may repeat one of the extension's (e.g. the conflict of interest): each reason once.
        reasons = super().blockers(name)
        return list(dict.fromkeys(reasons))

    # -- Transitions ----------------------------------------------------------------------
    @logged_transition(
        field=state,
        source=ExtensionState.APPLIED,
        target=ExtensionState.REVIEWED,
        permission="certificates.review_application",
        conditions=[rules_hold("review")],
        custom={"label": _("Review the extension")},
    )
    def review(self, *, by=None, description=None):
        x = self.ctx.extra
        self.audit_needed = bool(x["audit_needed"])
        self.no_audit_justification = (
            "" if self.audit_needed else (x.get("justification") or "").strip()
        )
        self.reviewed_on = self.ctx.on
        self.reviewed_by = by

    @logged_transition(
        field=state,
        source=ExtensionState.REVIEWED,
        target=ExtensionState.AUDIT_PLANNED,
        permission="certificates.manage_certification",
        conditions=[rules_hold("plan_audit")],
        custom={"label": _("Plan the special audit")},
    )
    def plan_audit(self, *, by=None, description=None):
        self.audit = self.ctx.extra["audit"]

    @logged_transition(
        field=state,
        source=[ExtensionState.REVIEWED, ExtensionState.AUDIT_PLANNED],
        target=ExtensionState.GRANTED,
        permission="certificates.decide_certification",
        conditions=[rules_hold("grant")],
        custom={"label": _("Grant the extension")},
    )
    def grant(self, *, by=None, description=None):
        self.decided_on = self.ctx.on
        self.decided_by = by

    @logged_transition(
        field=state,
        source=[ExtensionState.REVIEWED, ExtensionState.AUDIT_PLANNED],
        target=ExtensionState.REFUSED,
        permission="certificates.decide_certification",
        conditions=[rules_hold("refuse")],
        custom={"label": _("Refuse the extension")},
    )
    def refuse(self, *, by=None, description=None):
        self.decided_on = self.ctx.on
        self.decided_by = by
