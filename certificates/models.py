"""Certifications (one client, one standard, across cycles), the decisions taken on them and
the certificate versions they issue.

The lifecycle is a django-fsm-2 state machine: every rule of shared/domain.md about the cycle
is a condition of a transition (the functions of certificates/rules.py, registered in its
TABLE; see core/rules.py), so no code path, admin button or shell
session can take an illegal step. django-fsm-log writes who, when, from, to and why.
"""

import datetime
import re
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin

from audits.models import AuditKind
from core.dates import add_months, anniversary
from core.policy import policy
from core.rules import RuleMixin, logged_transition, rules_hold


class State(models.TextChoices):
    APPLIED = "applied", _("Applied")
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    STAGE1 = "stage1", _("Stage 1")
    STAGE2 = "stage2", _("Stage 2")
    DECISION_PENDING = "decision_pending", _("Decision pending")
    REFUSED = "refused", _("Refused")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class CertificationQuerySet(models.QuerySet):
    def active(self):
        """Certified and not suspended."""
        return self.filter(state=State.ACTIVE)

    def in_state(self, *states):
        """In any of these states."""
        return self.filter(state__in=states)

    def past_expiry(self, *, on: datetime.date):
        """Active or suspended whose expiry date is before ``on``: due to expire."""
        return self.filter(state__in=[State.ACTIVE, State.SUSPENDED], expiry_date__lt=on)

    def expiring_within(self, *, days: int, on: datetime.date):
        """Active or suspended, expiring between ``on`` and ``on + days``."""
        return self.filter(
            state__in=[State.ACTIVE, State.SUSPENDED],
            expiry_date__gte=on,
            expiry_date__lte=on + datetime.timedelta(days=days),
        )

    def surveillance_overdue(self, *, on: datetime.date):
        """Active, with the next surveillance's due date before ``on``."""
        return self.filter(state=State.ACTIVE, next_surveillance_due__lt=on)

    def surveillance_not_held(self, *, on: datetime.date):
        """Surveillance overdue on ``on`` (see surveillance_overdue) and not held either: no
        surveillance audit of the current cycle is under way or awaiting its closing (a held
        audit moves the due date on only when it is closed)."""
        from audits.models import Audit, AuditKind, AuditState

        held = Audit.objects.filter(
            certification=models.OuterRef("pk"),
            cycle=models.OuterRef("cycle"),
            kind=AuditKind.SURVEILLANCE,
            state__in=[AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED],
        )
        return self.surveillance_overdue(on=on).exclude(models.Exists(held))

    def suspension_deadline_passed(self, *, on: datetime.date):
        """Suspended beyond the suspension deadline: withdraw or reduce scope."""
        return self.filter(state=State.SUSPENDED, suspension_deadline__lt=on)

    def suspension_deadline_within(self, *, days: int, on: datetime.date):
        """Suspended, with the suspension deadline between ``on`` and ``on + days``."""
        return self.filter(
            state=State.SUSPENDED,
            suspension_deadline__gte=on,
            suspension_deadline__lte=on + datetime.timedelta(days=days),
        )

    def expired_as_of(self, *, on: datetime.date):
        """Not recertified by ``on``: expired, or active or suspended past the expiry date (the
        daily expiry task has not run yet)."""
        return self.filter(
            models.Q(state=State.EXPIRED)
            | models.Q(state__in=[State.ACTIVE, State.SUSPENDED], expiry_date__lt=on)
        )


# Imported certificates (Certification.import_existing): the states a certificate brought in
# from elsewhere may land in, and why one may not.
IMPORT_TARGETS = (State.ACTIVE, State.SUSPENDED, State.WITHDRAWN, State.EXPIRED)
MSG_IMPORT_TARGET = _("An imported certificate is Active, Suspended, Withdrawn or Expired.")
MSG_IMPORT_EXPIRY_BEFORE_ISSUE = _("The expiry date must be after the issue date (%(day)s).")
MSG_IMPORT_CYCLE_TOO_LONG = _(
    "A certification cycle lasts at most %(years)d years: from this issue date the expiry date "
    "is at the latest %(day)s."
)
MSG_IMPORT_ORIGINAL_AFTER_ISSUE = _(
    "The original certification date must not be after the issue date (%(day)s)."
)
MSG_IMPORT_ISSUED_IN_FUTURE = _("The issue date is in the future.")
MSG_IMPORT_VALID_PAST_EXPIRY = _(
    "A certificate that expired on %(day)s cannot be %(status)s: import it as Expired."
)
MSG_IMPORT_EXPIRED_NOT_PAST = _(
    "The certificate is valid until %(day)s, so it has not expired: import it as Active, "
    "Suspended or Withdrawn."
)
MSG_IMPORT_TRANSFER_NOT_ACTIVE = _(
    "Only a valid (Active) certificate can be transferred from another body, never a "
    "%(status)s one (IAF MD 2)."
)
MSG_IMPORT_NEXT_OUTSIDE_CYCLE = _(
    "The next audit must fall within the certification cycle (%(start)s to %(end)s)."
)


# Dates rule, not jobs (shared/domain.md): past its expiry date a certification is expired for
# every transition, whether or not the nightly task (certificates.tasks.expire_certifications)
# has recorded it yet.
MSG_EXPIRED_NO_SUSPEND = _(
    "The certificate expired on %(day)s: it can no longer be suspended. The expiry is recorded "
    "tonight (or now, with “Expire”); then it can be restored."
)
MSG_EXPIRED_NO_WITHDRAW = _(
    "The certificate expired on %(day)s: it can no longer be withdrawn. The expiry is recorded "
    "tonight (or now, with “Expire”)."
)
# China, CNCA-QMS-01:2025 (certificates.rules.no_recent_suspension_or_withdrawal).
MSG_SUSPENDED_RECENTLY = _(
    "The client's %(standard)s certificate was suspended on %(day)s for its own failings, "
    "within %(months)d months before this application (received on %(received)s): it cannot "
    "be accepted (CNCA-QMS-01:2025; policy CERTBODY_REFUSE_AFTER_SUSPENSION_MONTHS)."
)
MSG_WITHDRAWN_RECENTLY = _(
    "The client's %(standard)s certificate was withdrawn on %(day)s for its own failings, "
    "within %(months)d months before this application (received on %(received)s): it cannot "
    "be accepted (CNCA-QMS-01:2025; policy CERTBODY_REFUSE_AFTER_SUSPENSION_MONTHS)."
)


# Scope extension (shared/domain.md): only through a reviewed, audited (or justified) and
# granted extension application (certificates/scope_extensions.py).
MSG_EXTENSION_NOT_GRANTED = _(
    "A scope extension needs a reviewed extension application (and its audit, where the "
    "review asked for one)."
)


def _surveillances_done(dues, *, last_audit=None, next_due=None) -> int:
    """How many of the cycle's surveillances (due dates ``dues``) an imported certification
    has had: those whose year the last audit reached (a surveillance is held up to 12 months
    before its due date), else those the next audit date is clearly past (by 6 months)."""
    if last_audit is not None:
        return sum(1 for due in dues if add_months(due, -12) < last_audit)
    if next_due is not None:
        return sum(1 for due in dues if add_months(due, 6) <= next_due)
    return 0


def decision_transitions() -> frozenset[str]:
    """The certification decisions: every transition of Certification.state that needs the
    permission certificates.decide_certification (grant, refuse, recertify, restore, suspend,
    lift a suspension, withdraw, scope changes). Not import_existing: it records a decision
    taken before certbody (or by another body), not one the importing user takes."""
    if not _DECISIONS:
        field = Certification._meta.get_field("state")
        _DECISIONS.update(
            t.name
            for t in field.get_all_transitions(Certification)
            if t.permission == "certificates.decide_certification" and t.name != "import_existing"
        )
    return frozenset(_DECISIONS)


_DECISIONS: set[str] = set()


class Certification(RuleMixin, FSMModelMixin, models.Model):
    """One client's certification to one standard, across its three-year cycles.

    Rules (shared/domain.md; ISO/IEC 17021-1 clause 9), each a function of
    certificates/rules.py:
    - acceptance only with every intake condition met and every document received (9.1.2);
    - stage 2 only after stage 1 closed as ready; an old or repeated stage 1 is justified
      (9.3.1.2);
    - no decision while a major is unverified or a minor lacks an accepted plan; majors
      unverified 6 months after stage 2 require a new stage 2 (9.4.9, 9.5.3);
    - the decision maker took no part in the audits decided (9.5.2);
    - cycle = decision + 3 years; first surveillance within 12 months (9.1.3, 9.6.2);
    - recertification decided before expiry extends by 3 years; otherwise expiry, with
      restoration possible within 6 months (9.6.3.2.5);
    - suspension has a deadline, then withdrawal or scope reduction (9.6.5).
    """

    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name="certifications",
        verbose_name=_("client"),
    )
    standard = models.ForeignKey(
        "clients.Standard", on_delete=models.PROTECT, verbose_name=_("standard")
    )
    application = models.ForeignKey(
        "clients.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certifications",
        verbose_name=_("current application"),
    )
    state = FSMField(_("state"), default=State.APPLIED, choices=State.choices, protected=True)
    # The day the current state was entered (the ``on`` of the transition that led here):
    # no transition is dated before it (core/rules.py, RuleMixin._chronology_blockers).
    state_since = models.DateField(_("in this state since"), null=True, blank=True, editable=False)
    scope = models.TextField(_("scope"))
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    certificate_number = models.CharField(
        _("certificate number"), max_length=40, blank=True, db_index=True
    )
    original_certification_date = models.DateField(
        _("original certification date"), null=True, blank=True
    )
    cycle_start = models.DateField(_("cycle start"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True, db_index=True)
    next_surveillance_due = models.DateField(
        _("next surveillance due"), null=True, blank=True, db_index=True
    )
    surveillances_done = models.PositiveSmallIntegerField(
        _("surveillances done this cycle"), default=0
    )
    suspended_on = models.DateField(_("suspended on"), null=True, blank=True)
    suspension_deadline = models.DateField(_("suspension deadline"), null=True, blank=True)
    expired_on = models.DateField(_("expired on"), null=True, blank=True)
    decision_maker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("designated decision maker"),
        help_text=_("Cannot be on an audit team of this certification."),
    )
    # Stable identity for outside systems (the IAF CertSearch "Certification Identity Number"):
    # never changes across versions and cycles, unlike the printed number's version suffix.
    public_id = models.UUIDField(
        _("public identity"), default=uuid.uuid4, unique=True, editable=False
    )
    # Bumped by every service that changes the certification: two staff working from the same
    # page cannot both apply a change (the second gets a conflict message).
    revision = models.PositiveIntegerField(_("revision"), default=0)

    objects = CertificationQuerySet.as_manager()

    # What the audits app asks of a certification, in the certificates app's own vocabulary
    # (audits sits below certificates and does not import it: it asks the object it holds).
    # The states in which an audit of each kind may be planned outside the stage transitions
    # (stage 1 and stage 2 are planned by the certification services).
    AUDIT_KIND_STATES = {
        AuditKind.SURVEILLANCE: frozenset({State.ACTIVE}),
        AuditKind.RECERTIFICATION: frozenset({State.ACTIVE, State.EXPIRED}),
        AuditKind.SPECIAL: frozenset({State.ACTIVE, State.SUSPENDED, State.DECISION_PENDING}),
        AuditKind.TRANSFER_REVIEW: frozenset({State.APPLIED, State.UNDER_REVIEW}),
    }
    # The states of a certification between its stage 1 and its decision on stage 2.
    STAGE_STATES = (State.STAGE1, State.STAGE2)

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["-pk"]
        permissions = [
            ("review_application", _("Can review, accept and reject applications")),
            ("manage_certification", _("Can plan stages and manage certifications")),
            ("decide_certification", _("Can take certification decisions")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "standard"],
                name="one_certification_per_client_and_standard",
                violation_error_message=_(
                    "This client already has a certification to this standard."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(expiry_date__isnull=True)
                | models.Q(cycle_start__isnull=True)
                | models.Q(expiry_date__gt=models.F("cycle_start")),
                name="expiry_after_cycle_start",
            ),
        ]
        # The daily reminder scan (reminders/services.py) reads (pk, date) of the certifications
        # in a state with a date in a range. These serve it by index-only scans, with no table
        # access (bench/reminder_scan.py, docs/benchmarks.md: 1.35 M certifications).
        indexes = [
            models.Index(
                fields=["state", "next_surveillance_due", "id", "cycle"],
                name="certification_state_surveil",
            ),
            models.Index(fields=["state", "expiry_date", "id"], name="certification_state_expiry"),
            models.Index(
                fields=["state", "suspension_deadline", "id"], name="certification_state_susp"
            ),
        ]

    def __str__(self):
        return f"{self.client} - {self.standard}"

    # -- Derived facts --------------------------------------------------------------------
    def latest_audit(self, *kinds):
        return self.audits.live().of_kind(*kinds).order_by("-planned_start", "-pk").first()

    def latest_stage1(self):
        from audits.models import AuditKind

        return self.latest_audit(AuditKind.STAGE1)

    def latest_stage2(self):
        from audits.models import AuditKind

        return self.latest_audit(AuditKind.STAGE2)

    def audits_under_decision(self, *kinds):
        """Closed audits of this cycle that no decision has covered yet."""
        qs = self.audits.undecided().filter(cycle=self.cycle)
        return qs.of_kind(*kinds) if kinds else qs

    def current_certificate(self):
        return (
            self.certificates.filter(
                status__in=[CertificateStatus.CURRENT, CertificateStatus.SUSPENDED]
            )
            .order_by("-version")
            .first()
        )

    @property
    def is_valid(self) -> bool:
        """Whether the certificate may be relied on now: only when active."""
        return self.state == State.ACTIVE

    def past_expiry_on(self, on: datetime.date) -> bool:
        """Active or suspended but past its expiry date on ``on``: expired by the dates, the
        nightly task has not recorded it yet."""
        return (
            self.state in (State.ACTIVE, State.SUSPENDED)
            and self.expiry_date is not None
            and on > self.expiry_date
        )

    @property
    def is_expired(self) -> bool:
        """Recorded as expired (audits.services: a recertification audit after expiry serves
        restoration)."""
        return self.state == State.EXPIRED

    @staticmethod
    def expiry_for(start: datetime.date) -> datetime.date:
        """Expiry of a cycle starting on ``start`` (policy: 3 years, minus one day): the day
        before the third anniversary, where the anniversary of 29 February in a common year is
        1 March (core.dates.anniversary). A cycle from 2024-02-29 runs to 2027-02-28, one
        from 2024-02-28 to 2027-02-27."""
        end = anniversary(start, policy("CYCLE_YEARS"))
        if policy("EXPIRY_MINUS_ONE_DAY"):
            end -= datetime.timedelta(days=1)
        return end

    @staticmethod
    def renewed_expiry(old_expiry: datetime.date) -> datetime.date:
        """Expiry after a recertification or restoration: the old expiry + 3 years, the new
        cycle starting the day after the old expiry. With the minus-one-day policy, the day
        before the third anniversary of that new start (as ``expiry_for``): from an old expiry
        of 2025-02-28 the new cycle starts 2025-03-01 and ends 2028-02-29."""
        if policy("EXPIRY_MINUS_ONE_DAY"):
            return Certification.expiry_for(old_expiry + datetime.timedelta(days=1))
        return anniversary(old_expiry, policy("CYCLE_YEARS"))

    def surveillance_due_dates(self) -> list[datetime.date]:
        """Due dates of this cycle's surveillances: every 12 months from the cycle start,
        so one falls in each calendar year but the recertification year (9.6.2.2). Month
        arithmetic clamps to the month's end, so a limit is never overrun: a cycle from
        2024-02-29 has surveillances due 2025-02-28 and 2026-02-28."""
        if not self.cycle_start:
            return []
        first = policy("FIRST_SURVEILLANCE_MONTHS")
        count = policy("CYCLE_YEARS") - 1
        return [add_months(self.cycle_start, first + 12 * k) for k in range(count)]

    def restoration_window_end(self) -> datetime.date | None:
        if not self.expiry_date:
            return None
        return add_months(self.expiry_date, policy("RESTORATION_WINDOW_MONTHS"))

    # -- Rules ------------------------------------------------------------------------------
    # The reasons a transition is refused are in certificates/rules.py (its TABLE, registered
    # by CertificatesConfig.ready()); RuleMixin.blockers(name) reads them.

    def clean(self):
        """The designated decision maker must be free to decide: no consultancy or
        employment for the client in the last CONFLICT_OF_INTEREST_YEARS (as of today)."""
        super().clean()
        if self.decision_maker_id and self.client_id:
            from django.core.exceptions import ValidationError

            from audits.impartiality import decision_conflicts
            from core.dates import local_today

            today = local_today()
            problems = decision_conflicts(self.decision_maker, client=self.client, on=today)
            if problems:
                raise ValidationError({"decision_maker": problems})

    # -- Import of existing certificates (clients/imports/certificate_import.py) --------------
    @staticmethod
    def import_problems(
        *,
        target,
        issued_on: datetime.date,
        expiry_date: datetime.date,
        original_on: datetime.date | None = None,
        next_due: datetime.date | None = None,
        transferred: bool = False,
        on: datetime.date,
    ) -> list[tuple[str, str]]:
        """(field, why) for each rule a certificate brought in from elsewhere breaks: the same
        invariants the lifecycle keeps for the certificates it issues itself. ``field`` is one
        of "status", "issue_date", "expiry_date", "original_certification_date",
        "next_audit_date" (the import reports it under that column)."""
        problems = []
        if target not in IMPORT_TARGETS:
            problems.append(("status", str(MSG_IMPORT_TARGET)))
            return problems
        if expiry_date <= issued_on:
            # The other rules measure from these two dates: this one says all there is.
            why = MSG_IMPORT_EXPIRY_BEFORE_ISSUE % {"day": issued_on.isoformat()}
            problems.append(("expiry_date", str(why)))
            return problems
        # Cycle = CYCLE_YEARS (ISO/IEC 17021-1 9.1.3); one day's tolerance for bodies that do
        # not print "minus one day". A recertified certificate (original date before the
        # issue date) was decided before the old expiry and runs from it: old expiry + CYCLE_YEARS,
        # so up to RECERTIFICATION_PLANNING_MONTHS more.
        longest = Certification.expiry_for(issued_on) + datetime.timedelta(days=1)
        if original_on is not None and original_on < issued_on:
            longest = add_months(longest, policy("RECERTIFICATION_PLANNING_MONTHS"))
        if expiry_date > longest:
            why = MSG_IMPORT_CYCLE_TOO_LONG % {
                "years": policy("CYCLE_YEARS"),
                "day": longest.isoformat(),
            }
            problems.append(("expiry_date", str(why)))
        if original_on is not None and original_on > issued_on:
            problems.append(
                (
                    "original_certification_date",
                    str(MSG_IMPORT_ORIGINAL_AFTER_ISSUE % {"day": issued_on.isoformat()}),
                )
            )
        if issued_on > on:
            problems.append(("issue_date", str(MSG_IMPORT_ISSUED_IN_FUTURE)))
        label = State(target).label
        if target in (State.ACTIVE, State.SUSPENDED) and expiry_date < on:
            why = MSG_IMPORT_VALID_PAST_EXPIRY % {"status": label, "day": expiry_date.isoformat()}
            problems.append(("status", str(why)))
        if target == State.EXPIRED and expiry_date >= on:
            why = MSG_IMPORT_EXPIRED_NOT_PAST % {"day": expiry_date.isoformat()}
            problems.append(("status", str(why)))
        if transferred and target != State.ACTIVE:
            problems.append(("status", str(MSG_IMPORT_TRANSFER_NOT_ACTIVE % {"status": label})))
        if next_due is not None and (next_due < issued_on or next_due > expiry_date):
            problems.append(
                (
                    "next_audit_date",
                    str(
                        MSG_IMPORT_NEXT_OUTSIDE_CYCLE
                        % {"start": issued_on.isoformat(), "end": expiry_date.isoformat()}
                    ),
                )
            )
        return problems

    # -- Transitions: legality and the certification's own fields only ----------------------
    # Services (certificates/services.py) lock the row, check permission, call these, save,
    # and write decisions and certificate versions.
    @logged_transition(
        field=state,
        source=State.APPLIED,
        target=State.UNDER_REVIEW,
        permission="certificates.review_application",
        custom={"label": _("Start review")},
    )
    def start_review(self, *, by=None, description=None):
        pass

    @logged_transition(
        field=state,
        source=[State.APPLIED, State.UNDER_REVIEW],
        target=State.REJECTED,
        permission="certificates.review_application",
        conditions=[rules_hold("reject")],
        custom={"label": _("Reject application")},
    )
    def reject(self, *, by=None, description=None):
        pass

    @logged_transition(
        field=state,
        source=State.UNDER_REVIEW,
        target=State.ACCEPTED,
        permission="certificates.review_application",
        conditions=[rules_hold("accept")],
        custom={"label": _("Accept application")},
    )
    def accept(self, *, by=None, description=None):
        pass

    @logged_transition(
        field=state,
        source=State.ACCEPTED,
        target=State.STAGE1,
        permission="certificates.manage_certification",
        custom={"label": _("Plan stage 1")},
    )
    def begin_stage1(self, *, by=None, description=None):
        pass

    @logged_transition(
        field=state,
        source=State.STAGE1,
        target=State.STAGE1,
        permission="certificates.manage_certification",
        conditions=[rules_hold("repeat_stage1")],
        custom={"label": _("Repeat stage 1")},
    )
    def repeat_stage1(self, *, by=None, description=None):
        pass

    @logged_transition(
        field=state,
        source=State.STAGE1,
        target=State.STAGE2,
        permission="certificates.manage_certification",
        conditions=[rules_hold("begin_stage2")],
        custom={"label": _("Plan stage 2")},
    )
    def begin_stage2(self, *, by=None, description=None):
        pass

    @logged_transition(
        field=state,
        source=State.STAGE2,
        target=State.DECISION_PENDING,
        permission="certificates.manage_certification",
        conditions=[rules_hold("submit_for_decision")],
        custom={"label": _("Submit for decision")},
    )
    def submit_for_decision(self, *, by=None, description=None):
        pass

    @logged_transition(
        field=state,
        source=[State.STAGE2, State.DECISION_PENDING, State.EXPIRED],
        target=State.STAGE2,
        permission="certificates.manage_certification",
        conditions=[rules_hold("new_stage2")],
        custom={"label": _("Plan a new stage 2")},
    )
    def new_stage2(self, *, by=None, description=None):
        # Back from expiry (restoration window closed or not taken): a new cycle begins, and
        # grant starts its dates. The state is still the source state here.
        if self.state == State.EXPIRED:
            self.cycle += 1

    @logged_transition(
        field=state,
        source=State.DECISION_PENDING,
        target=State.ACTIVE,
        permission="certificates.decide_certification",
        conditions=[rules_hold("grant")],
        custom={"label": _("Grant certification")},
    )
    def grant(self, *, by=None, description=None):
        on = self.ctx.on
        # A grant is an initial certification: the first, or after a break (withdrawal,
        # refusal, expiry not restored in time): certification was not continuous, so it starts
        # a new original certification date. Only recertify and restore_after_expiry (with its
        # gap on the certificate) carry the original date on. Earlier certificate versions
        # keep the date they were issued with (the public history).
        self.original_certification_date = on
        self._start_cycle(start=on, expiry=self.expiry_for(on))
        self.expired_on = None

    def _start_cycle(self, *, start, expiry):
        self.cycle_start = start
        self.expiry_date = expiry
        self.surveillances_done = 0
        dues = self.surveillance_due_dates()
        self.next_surveillance_due = dues[0] if dues else None

    @logged_transition(
        field=state,
        source=State.DECISION_PENDING,
        target=State.REFUSED,
        permission="certificates.decide_certification",
        conditions=[rules_hold("refuse")],
        custom={"label": _("Refuse certification")},
    )
    def refuse(self, *, by=None, description=None):
        pass

    @logged_transition(
        field=state,
        source=State.ACTIVE,
        target=State.ACTIVE,
        permission="certificates.decide_certification",
        conditions=[rules_hold("recertify")],
        custom={"label": _("Recertify (new cycle)")},
    )
    def recertify(self, *, by=None, description=None):
        old_expiry = self.expiry_date
        self.cycle += 1
        self._start_cycle(
            start=old_expiry + datetime.timedelta(days=1),
            expiry=self.renewed_expiry(old_expiry),
        )

    @logged_transition(
        field=state,
        source=[State.ACTIVE, State.SUSPENDED],
        target=State.EXPIRED,
        permission="certificates.manage_certification",
        conditions=[rules_hold("expire")],
        custom={"label": _("Expire")},
    )
    def expire(self, *, by=None, description=None):
        # Paired with restore_after_expiry and grant, which clear expired_on.
        self.expired_on = self.ctx.on
        self.suspended_on = self.suspension_deadline = None
        self.next_surveillance_due = None

    @logged_transition(
        field=state,
        source=State.EXPIRED,
        target=State.ACTIVE,
        permission="certificates.decide_certification",
        conditions=[rules_hold("restore_after_expiry")],
        custom={"label": _("Restore after expiry")},
    )
    def restore_after_expiry(self, *, by=None, description=None):
        # The cycle goes on as if recertified in time; the gap stays on the certificate.
        old_expiry = self.expiry_date
        self.cycle += 1
        self._start_cycle(
            start=old_expiry + datetime.timedelta(days=1),
            expiry=self.renewed_expiry(old_expiry),
        )
        self.expired_on = None

    @logged_transition(
        field=state,
        source=State.ACTIVE,
        target=State.SUSPENDED,
        permission="certificates.decide_certification",
        conditions=[rules_hold("suspend")],
        custom={"label": _("Suspend")},
    )
    def suspend(self, *, by=None, description=None):
        # Paired with lift_suspension, withdraw, reduce_scope and expire: they clear these.
        self.suspended_on = self.ctx.on
        self.suspension_deadline = add_months(self.ctx.on, policy("SUSPENSION_MAX_MONTHS"))

    @logged_transition(
        field=state,
        source=State.SUSPENDED,
        target=State.ACTIVE,
        permission="certificates.decide_certification",
        conditions=[rules_hold("lift_suspension")],
        custom={"label": _("Restore (lift suspension)")},
    )
    def lift_suspension(self, *, by=None, description=None):
        self.suspended_on = self.suspension_deadline = None

    @logged_transition(
        field=state,
        source=[State.ACTIVE, State.SUSPENDED],
        target=State.WITHDRAWN,
        permission="certificates.decide_certification",
        conditions=[rules_hold("withdraw")],
        custom={"label": _("Withdraw")},
    )
    def withdraw(self, *, by=None, description=None):
        self.suspended_on = self.suspension_deadline = None
        self.next_surveillance_due = None

    @logged_transition(
        field=state,
        source=[State.ACTIVE, State.SUSPENDED],
        target=State.ACTIVE,
        permission="certificates.decide_certification",
        conditions=[rules_hold("reduce_scope")],
        custom={"label": _("Reduce scope")},
    )
    def reduce_scope(self, *, by=None, description=None):
        self.scope = self.ctx.extra["scope"].strip()
        self.suspended_on = self.suspension_deadline = None

    @logged_transition(
        field=state,
        source=State.ACTIVE,
        target=State.ACTIVE,
        permission="certificates.decide_certification",
        conditions=[rules_hold("extend_scope")],
        custom={"label": _("Extend scope")},
    )
    def extend_scope(self, *, by=None, description=None):
        self.scope = self.ctx.extra["scope"].strip()

    @logged_transition(
        field=state,
        source=[State.REJECTED, State.REFUSED, State.WITHDRAWN],
        target=State.APPLIED,
        permission="certificates.review_application",
        conditions=[rules_hold("reapply")],
        custom={"label": _("New application")},
    )
    def reapply(self, *, by=None, description=None):
        # A new application starts a new programme: audits of the earlier one are not decided
        # again, and grant starts new cycle dates.
        self.application = self.ctx.extra["application"]
        self.scope = self.application.scope
        if self.audits.exists():
            self.cycle += 1

    @logged_transition(
        field=state,
        source=State.APPLIED,
        target=RETURN_VALUE(*IMPORT_TARGETS),
        permission="certificates.decide_certification",
        conditions=[rules_hold("import_existing")],
        custom={"label": _("Import an existing certificate")},
    )
    def import_existing(self, *, by=None, description=None):
        """A certificate granted before certbody (the body's previous system, or another body's
        certificate transferred under IAF MD 2) enters the lifecycle in the state it is in,
        with the dates it carries. certificates.services.certification_import_existing writes
        its decision and certificate version; the target is ctx.extra["target"]."""
        x = self.ctx.extra
        on, target = self.ctx.on, x["target"]
        self.certificate_number = x["number"].strip()
        self.scope = x["scope"].strip()
        self.original_certification_date = x.get("original_on") or x["issued_on"]
        self._start_cycle(start=x["issued_on"], expiry=x["expiry_date"])
        dues = self.surveillance_due_dates()
        self.surveillances_done = _surveillances_done(
            dues, last_audit=x.get("last_audit_on"), next_due=x.get("next_due")
        )
        if x.get("next_due") is not None:
            self.next_surveillance_due = x["next_due"]
        else:
            done = self.surveillances_done
            self.next_surveillance_due = dues[done] if done < len(dues) else None
        self.suspended_on = self.suspension_deadline = self.expired_on = None
        if target == State.SUSPENDED:
            # When the old system suspended it is not known: the suspension runs from the import
            # and its deadline from there (SUSPENSION_MAX_MONTHS).
            self.suspended_on = on
            self.suspension_deadline = add_months(on, policy("SUSPENSION_MAX_MONTHS"))
        elif target in (State.WITHDRAWN, State.EXPIRED):
            # As withdraw and expire leave it: no surveillance in a finished cycle.
            self.next_surveillance_due = None
            if target == State.EXPIRED:
                self.expired_on = self.expiry_date + datetime.timedelta(days=1)
        return target


class DecisionOutcome(models.TextChoices):
    GRANT = "grant", _("Grant")
    REFUSE = "refuse", _("Refuse")
    RECERTIFY = "recertify", _("Recertify")
    RESTORE_AFTER_EXPIRY = "restore_after_expiry", _("Restore after expiry")
    SUSPEND = "suspend", _("Suspend")
    LIFT_SUSPENSION = "lift_suspension", _("Lift suspension")
    WITHDRAW = "withdraw", _("Withdraw")
    REDUCE_SCOPE = "reduce_scope", _("Reduce scope")
    EXTEND_SCOPE = "extend_scope", _("Extend scope")


class Decision(models.Model):
    """A certification decision: who decided what, when and why (ISO/IEC 17021-1 9.5)."""

    certification = models.ForeignKey(
        Certification,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("certification"),
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=DecisionOutcome.choices)
    decided_on = models.DateField(_("decided on"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("decided by"),
        help_text=_("Empty when the system decided (e.g. automatic suspension)."),
    )
    reason = models.TextField(_("reason"), blank=True)
    # A suspension or withdrawal the client asked for (ISO/IEC 17021-1 9.6.5.1 c) is not one
    # for its own failings: it does not bar a new application (CNCA-QMS-01:2025, accept).
    at_client_request = models.BooleanField(
        _("at the client's request"),
        default=False,
        help_text=_("Suspended or withdrawn because the client asked for it."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_on", "-pk"]

    def __str__(self):
        return f"{self.get_outcome_display()} {self.decided_on}"


class CertificateStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    SUSPENDED = "suspended", _("Suspended")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


# A version whose PDF the sweep renders: missing or out of date (no generation time), and issued
# through the services, which record the holder (certificates/documents.py, swept_for_pdf).
PDF_PENDING = (models.Q(pdf="") | models.Q(pdf_generated_at__isnull=True)) & ~models.Q(holder={})


class Certificate(models.Model):
    """One version of the certificate document. A revised certificate (recertification,
    scope change, restoration) is a new version with a suffix (-V2), and the old one is kept
    as superseded (shared/domain.md, Certificates)."""

    certification = models.ForeignKey(
        Certification,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("certification"),
    )
    number = models.CharField(_("certificate number"), max_length=40, db_index=True)
    version = models.PositiveSmallIntegerField(_("version"))
    standard = models.ForeignKey(
        "clients.Standard", on_delete=models.PROTECT, verbose_name=_("standard")
    )
    scope = models.TextField(_("scope"))
    effective_date = models.DateField(_("effective date"))
    expiry_date = models.DateField(_("expiry date"))
    original_certification_date = models.DateField(_("original certification date"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CertificateStatus.choices,
        default=CertificateStatus.CURRENT,
        db_index=True,
    )
    decision = models.ForeignKey(
        Decision, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("decision")
    )
    gap_from = models.DateField(
        _("not certified from"),
        null=True,
        blank=True,
        help_text=_("Restored after expiry: the period without a valid certificate."),
    )
    gap_to = models.DateField(_("not certified until"), null=True, blank=True)
    # The number reduced to letters and digits, upper case ("CBITSM000042"): the public lookup
    # tolerates case, spaces, dashes and full-width characters (see number_key()).
    number_key = models.CharField(_("number key"), max_length=40, db_index=True, editable=False)
    # The holder as printed on this version (name, address, sites in scope), recorded when the
    # version is issued: a re-rendered old version still shows what it certified then. Empty for
    # versions created outside the services (seed_demo's bulk path): they print current data.
    holder = models.JSONField(_("holder as printed"), default=dict, blank=True, editable=False)
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/", blank=True)
    pdf_generated_at = models.DateTimeField(_("PDF generated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-version"]
        indexes = [
            # The sweep (certificates/documents.py, every 10 minutes) looks for the few versions
            # whose PDF is pending among a million: this index holds only those.
            models.Index(fields=["id"], condition=PDF_PENDING, name="certificate_pdf_pending"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number", "version"], name="unique_certificate_version"
            ),
            # A version issued on the last day of the cycle (e.g. a scope reduction at the
            # suspension deadline) is valid that one day: expiry may equal the effective date.
            models.CheckConstraint(
                condition=models.Q(expiry_date__gte=models.F("effective_date")),
                name="certificate_expiry_not_before_effective",
            ),
        ]

    def __str__(self):
        return self.full_number

    def save(self, *args, **kwargs):
        # Derived from the number (not business logic): kept with the row so lookups use an index.
        self.number_key = number_key(self.number)
        super().save(*args, **kwargs)

    def holder_snapshot(self) -> dict:
        """What this version prints about its holder: the recorded ``holder``, or (for versions
        issued before it was recorded) the certification's current data."""
        return self.holder or holder_of(self.certification)

    @property
    def full_number(self) -> str:
        """The printed number with its version suffix, e.g. CB-ITSM-000042-V2."""
        return f"{self.number}-V{self.version}"


def holder_of(certification) -> dict:
    """The certified entity as a certificate prints it: names, address and the sites in scope
    (the application's when it names them, else the client's; central function first)."""
    client = certification.client
    application = certification.application
    sites = list(application.sites.all()) if application is not None else []
    if sites:
        # Sites added by the scope extensions granted on this application.
        sites += (
            client.sites.filter(
                scope_extensions__certification=certification,
                scope_extensions__application=application,
                scope_extensions__state=ExtensionState.GRANTED,
            )
            .exclude(pk__in=[site.pk for site in sites])
            .distinct()
        )
    if not sites:
        sites = list(client.sites.all())
    sites.sort(key=lambda site: (not site.is_central, site.name, site.pk))
    return {
        "legal_name": client.legal_name,
        "english_name": client.english_name,
        "address": client.address,
        "city": client.city,
        "country": client.country,
        "sites": [
            {
                "name": site.name,
                "address": site.address,
                "city": site.city,
                "is_central": site.is_central,
            }
            for site in sites
        ],
    }


def number_key(text: str) -> str:
    """A certificate number reduced to what a person means by it: NFKC (full-width to ASCII),
    upper case, letters and digits only. "cb-itsm 000042" -> "CBITSM000042"."""
    import unicodedata

    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", text or "").upper())


class CertSearchUpload(models.Model):
    """One month's IAF CertSearch duty (IAF MD 28: upload at least monthly): when the export
    was written, which files, and who recorded the upload to IAF CertSearch. The monthly beat
    task writes the export; reminders (reminders/services.py) chase the upload until staff
    record it here."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    folder = models.CharField(_("folder"), max_length=500, blank=True)
    # [[file name, rows], ...] of the month's export.
    files = models.JSONField(_("files"), default=list, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("IAF CertSearch upload")
        verbose_name_plural = _("IAF CertSearch uploads")
        ordering = ["-month"]

    def __str__(self):
        return _("IAF CertSearch upload %(month)s") % {"month": f"{self.month:%Y-%m}"}

    @property
    def due_date(self) -> datetime.date:
        """The month's last day: the upload is due within the month."""
        return add_months(self.month, 1) - datetime.timedelta(days=1)


# The scope extension application (its own module: a state machine of its own).
from .scope_extensions import ExtensionState, ScopeExtension  # noqa: E402, F401
