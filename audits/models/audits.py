"""Audits (stage 1, stage 2, surveillance, recertification, special, transfer review) and their
findings, each with its own state machine (django-fsm-2; every transition logged by
django-fsm-log)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from core.dates import add_months
from core.policy import policy
from core.rules import RuleMixin, logged_transition, rules_hold

from .. import access


class AuditKind(models.TextChoices):
    STAGE1 = "stage1", _("Stage 1")
    STAGE2 = "stage2", _("Stage 2")
    SURVEILLANCE = "surveillance", _("Surveillance")
    RECERTIFICATION = "recertification", _("Recertification")
    SPECIAL = "special", _("Special / short-notice")
    TRANSFER_REVIEW = "transfer_review", _("Transfer review")


class AuditState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    REPORT_SUBMITTED = "report_submitted", _("Report submitted")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Recommendation(models.TextChoices):
    READY_FOR_STAGE2 = "ready", _("Ready for stage 2")
    NOT_READY = "not_ready", _("Not ready for stage 2")
    RECOMMEND = "recommend", _("Recommend certification")
    DO_NOT_RECOMMEND = "do_not_recommend", _("Do not recommend certification")
    CONTINUE = "continue", _("Continue certification")
    RECOMMEND_SUSPENSION = "suspend", _("Recommend suspension")


RECOMMENDATIONS_BY_KIND = {
    AuditKind.STAGE1: {Recommendation.READY_FOR_STAGE2, Recommendation.NOT_READY},
    AuditKind.STAGE2: {Recommendation.RECOMMEND, Recommendation.DO_NOT_RECOMMEND},
    AuditKind.RECERTIFICATION: {Recommendation.RECOMMEND, Recommendation.DO_NOT_RECOMMEND},
    AuditKind.SURVEILLANCE: {Recommendation.CONTINUE, Recommendation.RECOMMEND_SUSPENSION},
    AuditKind.SPECIAL: {Recommendation.CONTINUE, Recommendation.RECOMMEND_SUSPENSION},
    AuditKind.TRANSFER_REVIEW: {Recommendation.RECOMMEND, Recommendation.DO_NOT_RECOMMEND},
}


# Planned, in progress or report submitted (the partial indexes' condition: a query's filter on
# these states, or on some of them, lets PostgreSQL use them).
OPEN_AUDIT = models.Q(state__in=["planned", "in_progress", "report_submitted"])


class AuditQuerySet(models.QuerySet):
    def of_kind(self, *kinds):
        """Audits of these kinds."""
        return self.filter(kind__in=kinds)

    def closed(self):
        """Audits whose report was reviewed and closed."""
        return self.filter(state=AuditState.CLOSED)

    def live(self):
        """Audits not cancelled."""
        return self.exclude(state=AuditState.CANCELLED)

    def undecided(self):
        """Closed audits no certification decision has been taken on yet."""
        return self.closed().filter(decision__isnull=True)

    def stage1_awaiting_stage2(self):
        """Stage 1 audits closed as ready whose certification is still before stage 2 (stage 1
        or stage 2 planned), with no later stage 1 and no stage 2 started since: their
        validity (STAGE1_VALIDITY_MONTHS from the last day) still matters."""
        later = Audit.objects.live().filter(
            certification=models.OuterRef("certification"),
            planned_start__gte=models.OuterRef("planned_start"),
        )
        later_stage1 = later.filter(kind=AuditKind.STAGE1).exclude(pk=models.OuterRef("pk"))
        stage2_started = later.filter(kind=AuditKind.STAGE2).exclude(state=AuditState.PLANNED)
        return (
            self.of_kind(AuditKind.STAGE1)
            .closed()
            .filter(
                recommendation=Recommendation.READY_FOR_STAGE2,
                # The certification's own vocabulary, asked of its model (audits sits below
                # certificates and does not import it).
                certification__state__in=self.model._meta.get_field(
                    "certification"
                ).related_model.STAGE_STATES,
            )
            .exclude(models.Exists(later_stage1))
            .exclude(models.Exists(stage2_started))
        )


class Audit(RuleMixin, FSMModelMixin, models.Model):
    """One audit of a certification. Planned -> in progress -> report submitted -> closed.

    A stage 2 audit may start only after stage 1 closed as ready; a stage 1 older than
    STAGE1_VALIDITY_MONTHS needs a recorded justification (ISO/IEC 17021-1 9.3.1.2.3).
    """

    certification = models.ForeignKey(
        "certificates.Certification",
        on_delete=models.PROTECT,
        related_name="audits",
        verbose_name=_("certification"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AuditKind.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    state = FSMField(
        _("state"), default=AuditState.PLANNED, choices=AuditState.choices, protected=True
    )
    # The day the current state was entered (the ``on`` of the transition that led here):
    # no transition is dated before it (core/rules.py, RuleMixin._chronology_blockers).
    state_since = models.DateField(_("in this state since"), null=True, blank=True, editable=False)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end (last day)"), null=True, blank=True)
    # Empty on an audit the programme generated and nobody has staffed yet.
    team_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_audits",
        verbose_name=_("team leader"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="member_audits",
        verbose_name=_("team members"),
    )
    recommendation = models.CharField(
        _("recommendation"), max_length=20, choices=Recommendation.choices, blank=True
    )
    justification = models.TextField(
        _("justification"),
        blank=True,
        help_text=_("Why a repeated stage 1, or a stage 2 after an old stage 1, is acceptable."),
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # -- The audit programme (issue 3): generated audits carry a proposed window, a deadline,
    # their audit time and the multi-site sample; staff confirm dates and the team later.
    dates_confirmed = models.BooleanField(
        _("dates confirmed"),
        default=True,
        help_text=_("False while the dates are only the programme's proposal."),
    )
    programme_year = models.PositiveSmallIntegerField(_("year of the cycle"), null=True, blank=True)
    planning_from = models.DateField(_("start planning on"), null=True, blank=True)
    due_by = models.DateField(
        _("due by"), null=True, blank=True, db_index=True, help_text=_("The latest last day.")
    )
    late_reason = models.TextField(_("reason for holding it after the deadline"), blank=True)
    audit_days = models.DecimalField(
        _("audit time (auditor-days)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    onsite_days = models.DecimalField(
        _("of which on site (at least)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    audit_time_trace = models.JSONField(_("audit time trace"), default=list, blank=True)
    sites = models.ManyToManyField(
        "clients.Site", blank=True, related_name="audits", verbose_name=_("sites to visit")
    )
    sample_trace = models.JSONField(_("multi-site sample trace"), default=dict, blank=True)
    decision = models.ForeignKey(
        "certificates.Decision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audits",
        verbose_name=_("decided by decision"),
    )

    objects = AuditQuerySet.as_manager()

    # Not stored: the team warnings staff acknowledged, left on the audit that audit_plan and
    # audit_create return (audits/services/audits.py), for the page to show.
    team_warnings: list[str]

    class Meta:
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        ordering = ["-planned_start", "-pk"]
        permissions = [
            ("conduct_audit", _("Can conduct audits (auditor)")),
            ("manage_audit", _("Can plan, close and cancel audits")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("planned_start")),
                name="audit_planned_end_after_start",
                violation_error_message=_("The planned end is before the planned start."),
            )
        ]
        # The workspace's worklists and lists at 3.5 M audits (bench/workspace.py,
        # docs/decisions/009-workspace-speed.md): the open audits by date (the audit list's
        # default, my next audits, the planning board by deadline) walk a partial index of the
        # open ones instead of sorting all of them; one state by date (without a team, reports
        # to close) the state index; closed audits no decision covered yet and live
        # recertification audits, tiny ones.
        indexes = [
            models.Index(fields=["state", "planned_start", "id"], name="audit_state_start"),
            models.Index(
                fields=["planned_start", "id"], name="audit_open_start", condition=OPEN_AUDIT
            ),
            models.Index(fields=["due_by", "id"], name="audit_open_due", condition=OPEN_AUDIT),
            # The planning board's audits without a team, by start (few of the planned ones).
            models.Index(
                fields=["planned_start", "id"],
                name="audit_unstaffed_start",
                condition=models.Q(state="planned", team_leader__isnull=True),
            ),
            models.Index(
                fields=["certification"],
                name="audit_undecided",
                condition=models.Q(state="closed", decision__isnull=True),
            ),
            # "Has this cycle a recertification audit?" (recertification to plan, files awaiting
            # decision): the few recertification audits, not a walk of all 3.5 M (2.6 s -> 14 ms).
            models.Index(
                fields=["certification", "cycle"],
                name="audit_recert",
                condition=models.Q(kind="recertification"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.planned_start} - {self.certification}"

    @property
    def last_day(self) -> datetime.date | None:
        return self.actual_end

    def team_user_ids(self) -> set[int]:
        ids = {self.team_leader_id} if self.team_leader_id else set()
        ids.update(m.pk for m in self.members.all())
        return ids

    @property
    def is_late(self) -> bool:
        """Planned to end after its deadline (allowed only with a recorded reason)."""
        return bool(self.due_by and self.planned_end and self.planned_end > self.due_by)

    # -- Rules: audits/rules.py (TABLE, registered by AuditsConfig.ready()) ----------------
    @property
    def is_closed_ready(self) -> bool:
        return (
            self.kind == AuditKind.STAGE1
            and self.state == AuditState.CLOSED
            and self.recommendation == Recommendation.READY_FOR_STAGE2
        )

    def is_stale_on(self, on: datetime.date) -> bool:
        """Stage 1 older than its validity on ``on`` (counted from its last day)."""
        end = self.actual_end or self.planned_end
        return add_months(end, policy("STAGE1_VALIDITY_MONTHS")) < on

    # -- Transitions (legality only; services do the rest) ----------------------------------
    @logged_transition(
        field=state,
        source=AuditState.PLANNED,
        target=AuditState.IN_PROGRESS,
        permission=access.team_permission("start"),
        conditions=[rules_hold("start")],
        custom={"label": _("Start audit")},
    )
    def start(self, *, by=None, description=None):
        self.actual_start = self.ctx.on

    @logged_transition(
        field=state,
        source=AuditState.IN_PROGRESS,
        target=AuditState.REPORT_SUBMITTED,
        permission=access.team_permission("submit_report"),
        conditions=[rules_hold("submit_report")],
        custom={"label": _("Submit report")},
    )
    def submit_report(self, *, by=None, description=None):
        self.actual_end = self.ctx.on
        self.recommendation = self.ctx.extra["recommendation"]

    @logged_transition(
        field=state,
        source=AuditState.REPORT_SUBMITTED,
        target=AuditState.CLOSED,
        permission="audits.manage_audit",
        custom={"label": _("Close audit")},
    )
    def close(self, *, by=None, description=None):
        self.closed_on = self.ctx.on

    @logged_transition(
        field=state,
        source=[AuditState.PLANNED, AuditState.IN_PROGRESS],
        target=AuditState.CANCELLED,
        permission="audits.manage_audit",
        conditions=[rules_hold("cancel")],
        custom={"label": _("Cancel audit")},
    )
    def cancel(self, *, by=None, description=None):
        pass


class Grade(models.TextChoices):
    MAJOR = "major", _("Major nonconformity")
    MINOR = "minor", _("Minor nonconformity")
    OBSERVATION = "observation", _("Observation")


class FindingState(models.TextChoices):
    OPEN = "open", _("Open")
    PLAN_ACCEPTED = "plan_accepted", _("Plan accepted")
    CORRECTED = "corrected", _("Corrected")
    VERIFIED = "verified", _("Verified")
    NOTED = "noted", _("Noted (no response needed)")


class FindingQuerySet(models.QuerySet):
    def blocking_decision(self):
        """Majors not verified and minors without an accepted plan (ISO/IEC 17021-1 9.5.3)."""
        return self.filter(
            models.Q(grade=Grade.MAJOR) & ~models.Q(state=FindingState.VERIFIED)
            | models.Q(grade=Grade.MINOR, state=FindingState.OPEN)
        )

    def majors_unverified(self):
        """Major nonconformities whose correction is not yet verified."""
        return self.filter(grade=Grade.MAJOR).exclude(state=FindingState.VERIFIED)

    def plan_outstanding(self):
        """Majors and minors still waiting for an accepted plan, in audits not cancelled."""
        return self.filter(state=FindingState.OPEN, plan_due__isnull=False).exclude(
            audit__state=AuditState.CANCELLED
        )

    def correction_outstanding(self):
        """Majors with a correction deadline whose correction is not reported yet (open or
        plan accepted: no corrected_on), in audits not cancelled."""
        return self.filter(
            grade=Grade.MAJOR,
            state__in=[FindingState.OPEN, FindingState.PLAN_ACCEPTED],
            correction_due__isnull=False,
        ).exclude(audit__state=AuditState.CANCELLED)

    def verification_outstanding(self):
        """Majors with a verification deadline not verified yet, in audits not cancelled."""
        return (
            self.majors_unverified()
            .filter(verification_due__isnull=False)
            .exclude(audit__state=AuditState.CANCELLED)
        )


class Finding(RuleMixin, FSMModelMixin, models.Model):
    """A nonconformity or observation raised in an audit.

    Majors need correction and corrective action verified before the decision, minors an
    accepted plan; observations need no response (shared/domain.md, Findings). Deadlines come
    from FINDING_PLAN_DAYS, MAJOR_CORRECTION_DAYS and MAJOR_VERIFICATION_DAYS.
    """

    audit = models.ForeignKey(
        Audit, on_delete=models.CASCADE, related_name="findings", verbose_name=_("audit")
    )
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices)
    clause = models.CharField(_("clause"), max_length=30, blank=True)
    description = models.TextField(_("description"))
    state = FSMField(
        _("state"), default=FindingState.OPEN, choices=FindingState.choices, protected=True
    )
    # The day the current state was entered (the ``on`` of the transition that led here):
    # no transition is dated before it (core/rules.py, RuleMixin._chronology_blockers).
    state_since = models.DateField(_("in this state since"), null=True, blank=True, editable=False)
    raised_on = models.DateField(_("raised on"))
    plan_due = models.DateField(_("plan due"), null=True, blank=True)
    # Majors: the client's correction is due first, the body's verification of correction and
    # corrective action after it (MAJOR_CORRECTION_DAYS, MAJOR_VERIFICATION_DAYS).
    correction_due = models.DateField(_("correction due"), null=True, blank=True)
    verification_due = models.DateField(_("verification due"), null=True, blank=True)
    plan = models.TextField(_("correction and corrective action plan"), blank=True)
    plan_accepted_on = models.DateField(_("plan accepted on"), null=True, blank=True)
    corrected_on = models.DateField(_("corrected on"), null=True, blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["audit", "pk"]

    def __str__(self):
        return f"{self.get_grade_display()} {self.clause}".strip()

    # -- Rules: audits/rules.py (TABLE) -------------------------------------------------------
    @logged_transition(
        field=state,
        source=FindingState.OPEN,
        target=FindingState.PLAN_ACCEPTED,
        permission=access.finding_team_permission("accept_plan"),
        conditions=[rules_hold("accept_plan")],
        custom={"label": _("Accept plan")},
    )
    def accept_plan(self, *, by=None, description=None):
        self.plan = self.ctx.extra.get("plan") or self.plan
        self.plan_accepted_on = self.ctx.on

    @logged_transition(
        field=state,
        source=FindingState.PLAN_ACCEPTED,
        target=FindingState.CORRECTED,
        permission=access.finding_team_permission("mark_corrected"),
        custom={"label": _("Mark corrected")},
    )
    def mark_corrected(self, *, by=None, description=None):
        self.corrected_on = self.ctx.on

    @logged_transition(
        field=state,
        source=FindingState.CORRECTED,
        target=FindingState.VERIFIED,
        permission=access.finding_team_permission("verify"),
        custom={"label": _("Verify correction")},
    )
    def verify(self, *, by=None, description=None):
        self.verified_on = self.ctx.on

    @staticmethod
    def initial_state(grade: str) -> str:
        """Observations need no response, so they start (and stay) noted."""
        return FindingState.NOTED if grade == Grade.OBSERVATION else FindingState.OPEN

    def set_deadlines(self):
        """Response deadlines from policy (observations have none)."""
        if self.grade == Grade.OBSERVATION:
            self.plan_due = self.correction_due = self.verification_due = None
            return
        self.plan_due = self.raised_on + datetime.timedelta(days=policy("FINDING_PLAN_DAYS"))
        major = self.grade == Grade.MAJOR
        self.correction_due = (
            self.raised_on + datetime.timedelta(days=policy("MAJOR_CORRECTION_DAYS"))
            if major
            else None
        )
        self.verification_due = (
            self.raised_on + datetime.timedelta(days=policy("MAJOR_VERIFICATION_DAYS"))
            if major
            else None
        )
