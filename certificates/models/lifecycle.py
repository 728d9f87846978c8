"""The certification's state machine: its states and its transitions (django-fsm-2).

A transition owns legality (its ``conditions``: the rules of certificates/rules.py, registered
in its TABLE; see core/rules.py) and changes only the certification's own fields. The services
(certificates/services/) lock the row, check permission, call it, save, and write the decision
and certificate rows. ``CertificationLifecycle`` is mixed into ``Certification``
(certificates/models/certification.py), which holds the fields; django-fsm finds these
transitions by the field's name, ``state``.
"""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE

from core.dates import add_months
from core.policy import policy
from core.rules import logged_transition, rules_hold


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


# Imported certificates (Certification.import_existing): the states a certificate brought in
# from elsewhere may land in, and why one may not.
IMPORT_TARGETS = (State.ACTIVE, State.SUSPENDED, State.WITHDRAWN, State.EXPIRED)


def _surveillances_done(dues, *, last_audit=None, next_due=None) -> int:
    """How many of the cycle's surveillances (due dates ``dues``) an imported certification
    has had: those whose year the last audit reached (a surveillance is held up to 12 months
    before its due date), else those the next audit date is clearly past (by 6 months)."""
    if last_audit is not None:
        return sum(1 for due in dues if add_months(due, -12) < last_audit)
    if next_due is not None:
        return sum(1 for due in dues if add_months(due, 6) <= next_due)
    return 0


class CertificationLifecycle:
    """The transitions of ``Certification.state``: legality and the certification's own
    fields only. Paired transitions say so in a comment (e.g. suspend / lift_suspension)."""

    @logged_transition(
        field="state",
        source=State.APPLIED,
        target=State.UNDER_REVIEW,
        permission="certificates.review_application",
        custom={"label": _("Start review")},
    )
    def start_review(self, *, by=None, description=None):
        pass

    @logged_transition(
        field="state",
        source=[State.APPLIED, State.UNDER_REVIEW],
        target=State.REJECTED,
        permission="certificates.review_application",
        conditions=[rules_hold("reject")],
        custom={"label": _("Reject application")},
    )
    def reject(self, *, by=None, description=None):
        pass

    @logged_transition(
        field="state",
        source=State.UNDER_REVIEW,
        target=State.ACCEPTED,
        permission="certificates.review_application",
        conditions=[rules_hold("accept")],
        custom={"label": _("Accept application")},
    )
    def accept(self, *, by=None, description=None):
        pass

    @logged_transition(
        field="state",
        source=State.ACCEPTED,
        target=State.STAGE1,
        permission="certificates.manage_certification",
        custom={"label": _("Plan stage 1")},
    )
    def begin_stage1(self, *, by=None, description=None):
        pass

    @logged_transition(
        field="state",
        source=State.STAGE1,
        target=State.STAGE1,
        permission="certificates.manage_certification",
        conditions=[rules_hold("repeat_stage1")],
        custom={"label": _("Repeat stage 1")},
    )
    def repeat_stage1(self, *, by=None, description=None):
        pass

    @logged_transition(
        field="state",
        source=State.STAGE1,
        target=State.STAGE2,
        permission="certificates.manage_certification",
        conditions=[rules_hold("begin_stage2")],
        custom={"label": _("Plan stage 2")},
    )
    def begin_stage2(self, *, by=None, description=None):
        pass

    @logged_transition(
        field="state",
        source=State.STAGE2,
        target=State.DECISION_PENDING,
        permission="certificates.manage_certification",
        conditions=[rules_hold("submit_for_decision")],
        custom={"label": _("Submit for decision")},
    )
    def submit_for_decision(self, *, by=None, description=None):
        pass

    @logged_transition(
        field="state",
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
        field="state",
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
        field="state",
        source=State.DECISION_PENDING,
        target=State.REFUSED,
        permission="certificates.decide_certification",
        conditions=[rules_hold("refuse")],
        custom={"label": _("Refuse certification")},
    )
    def refuse(self, *, by=None, description=None):
        pass

    @logged_transition(
        field="state",
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
        field="state",
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
        field="state",
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
        field="state",
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
        field="state",
        source=State.SUSPENDED,
        target=State.ACTIVE,
        permission="certificates.decide_certification",
        conditions=[rules_hold("lift_suspension")],
        custom={"label": _("Restore (lift suspension)")},
    )
    def lift_suspension(self, *, by=None, description=None):
        self.suspended_on = self.suspension_deadline = None

    @logged_transition(
        field="state",
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
        field="state",
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
        field="state",
        source=State.ACTIVE,
        target=State.ACTIVE,
        permission="certificates.decide_certification",
        conditions=[rules_hold("extend_scope")],
        custom={"label": _("Extend scope")},
    )
    def extend_scope(self, *, by=None, description=None):
        self.scope = self.ctx.extra["scope"].strip()

    @logged_transition(
        field="state",
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
        field="state",
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
