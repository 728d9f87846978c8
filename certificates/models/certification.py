"""The certification record: one client's certification to one standard, across cycles: its
fields, what it says about itself (derived facts, the queryset's vocabulary) and the checks of
an imported certificate. Its state machine (states and transitions) is in lifecycle.py.

Every rule of shared/domain.md about the cycle is a condition of a transition (the functions
of certificates/rules.py, registered in its TABLE; see core/rules.py), so no code path, admin
button or shell session can take an illegal step. django-fsm-log writes who, when, from, to
and why.
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from audits.impartiality import decision_conflicts
from audits.models import Audit, AuditKind, AuditState
from core.dates import add_months, anniversary, local_today
from core.policy import policy
from core.rules import RuleMixin

from .certificate import CertificateStatus
from .decisions import DecisionOutcome
from .lifecycle import IMPORT_TARGETS, CertificationLifecycle, State


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


# Why a certificate brought in from elsewhere is refused (Certification.import_problems).
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
# granted extension application (certificates/models/scope_extensions.py).
MSG_EXTENSION_NOT_GRANTED = _(
    "A scope extension needs a reviewed extension application (and its audit, where the "
    "review asked for one)."
)


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


class Certification(CertificationLifecycle, RuleMixin, FSMModelMixin, models.Model):
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
    # ISO/IEC 27001 (Standard.requires_soa): the Statement of Applicability version the scope
    # rests on, printed with the scope.
    soa_version = models.CharField(
        _("Statement of Applicability version"),
        max_length=50,
        blank=True,
        help_text=_("ISO/IEC 27001: the SoA version the scope rests on, e.g. “V2.1, 2026-03-01”."),
        default="",
        db_default="",
    )
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
        # The daily reminder scans (certificates/reminders.py) read (pk, date) of the certifications
        # in a state with a date in a range. These serve them by index-only scans, with no table
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
            # The workspace's "longest in this state first" (files awaiting decision: an index
            # walk of 10 rows instead of sorting every pending file; bench/workspace.py).
            models.Index(fields=["state", "state_since", "id"], name="certification_state_since"),
            # Applications by the state of their certification (the application list's open /
            # intake filters: `id IN (SELECT application_id ... WHERE state IN (...))`): index-only.
            models.Index(fields=["state", "application"], name="certification_state_appl"),
        ]

    def __str__(self):
        return f"{self.client} - {self.standard}"

    # -- Derived facts --------------------------------------------------------------------
    def latest_audit(self, *kinds):
        return self.audits.live().of_kind(*kinds).order_by("-planned_start", "-pk").first()

    def latest_stage1(self):
        return self.latest_audit(AuditKind.STAGE1)

    def latest_stage2(self):
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

    def current_cycle_opened_on(self) -> datetime.date | None:
        """The first day of the current cycle's decisions: the latest grant, recertification or
        restoration once certified; before that, the current application's date. (The audits
        app's team rules, ISO/IEC 17021-1 9.5.2, look at the decisions taken since then.)"""
        if self.state in (State.ACTIVE, State.SUSPENDED, State.EXPIRED, State.WITHDRAWN):
            opening = (
                self.decisions.filter(
                    outcome__in=[
                        DecisionOutcome.GRANT,
                        DecisionOutcome.RECERTIFY,
                        DecisionOutcome.RESTORE_AFTER_EXPIRY,
                    ]
                )
                .order_by("-decided_on", "-pk")
                .values_list("decided_on", flat=True)
                .first()
            )
            if opening:
                return opening
        if self.application_id:
            return self.application.received_on
        return self.cycle_start

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
            today = local_today()
            problems = decision_conflicts(self.decision_maker, client=self.client, on=today)
            if problems:
                raise ValidationError({"decision_maker": problems})

    # -- Import of existing certificates (certificates/imports/certificate_import.py) ---------
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
