# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""Demo clients walked through the real services: each scenario takes one client from its
application to a state of the lifecycle, with dates relative to "today" (the steps are in
demo/steps.py)."""

import datetime

from django.db import transaction

from audits import services as audit_svc
from audits.models import Recommendation
from certificates import services as svc
from certificates.models import Certification, Decision
from clients.models import Client, Contact, Site, TechnicalArea
from core.dates import add_months, add_years
from core.policy import policy

from .profiles import Profile, pick_standard
from .steps import Steps
from .vocabulary import (
    DAY,
    LATE_REASON,
    REASONS,
    SCOPE_EXTENSIONS,
    STAGE1_REPEAT_JUSTIFICATION,
    days,
)

# The first twelve cover every state; the rest add variety (mostly active certifications).
SCENARIOS = (
    "active_surv1", "applied", "under_review", "accepted", "rejected", "stage1", "stage2",
    "decision_pending", "refused", "suspended", "withdrawn", "expired",
    "active_surv2", "active_recertified", "stage1_repeat", "active_recent",
    "decision_pending_ready", "active_restored", "stage2_in_progress", "active_lifted",
    "suspended_request", "active_extended", "withdrawn_request", "active_surv1",
    "expired_window_closed", "active_overdue", "reapplied", "active_recent", "suspended_major",
    "decision_pending_major", "active_surv2", "under_review", "active_recertified", "accepted",
    "active_surv1", "stage1", "refused", "active_recent", "applied", "active_surv2",
)  # fmt: skip


class Walker(Steps):
    """Takes one client at a time through the real services, ending in a scenario's state
    (``SCENARIOS``, in turn). Use it as a context manager: it dates the state-log rows each
    step writes on the step's day (demo/steps.py)."""

    def walk(self, index: int, profile: Profile) -> Certification:
        scenario = SCENARIOS[index % len(SCENARIOS)]
        self.last = datetime.date.min
        with transaction.atomic():
            client = Client.objects.create(**profile.client)
            client.technical_areas.set(TechnicalArea.objects.filter(code=33))  # IT services
            self.sites = [Site.objects.create(client=client, **s) for s in profile.sites]
            self.language = profile.language
            Contact.objects.create(client=client, **profile.contact)
            std = pick_standard(self.rng, self.standards)
            cert = getattr(self, f"s_{scenario}")(client, std)
            self._stamp_bulk_rows()
            self._backdate(client, cert)
        cert.refresh_from_db()
        return cert

    def _backdate(self, client, cert):
        """Creation and recording moments on the demo days, not the day the command ran."""
        first = cert.application.received_on if cert.application else self.today
        for app in client.applications.all():
            first = min(first, app.received_on)
        Client.objects.filter(pk=client.pk).update(created_at=self._moment(first - self.r(0, 10)))
        for decision in Decision.objects.filter(certification=cert):
            Decision.objects.filter(pk=decision.pk).update(
                recorded_at=self._moment(decision.decided_on)
            )

    # -- scenarios: each returns the certification in its final state --------------------
    T = property(lambda self: self.today)

    def s_applied(self, client, std):
        return self.apply(client, std, self.T - self.r(0, 12), complete=self.rng.random() < 0.6)

    def s_under_review(self, client, std):
        received = self.T - self.r(8, 30)
        cert = self.apply(client, std, received, complete=self.rng.random() < 0.5)
        return svc.certification_start_review(
            certification=cert, by=self.people.staff, on=self._at(self.soon(1, 7))
        )

    def s_accepted(self, client, std):
        received = self.T - self.r(25, 60)
        cert = self.apply(client, std, received)
        return self.accept(cert, received + self.r(5, 20))

    def _rejected(self, client, std, received):
        short = self.rng.random() < 0.5
        cert = self.apply(
            client,
            std,
            received,
            complete=short,
            operating_since=received - self.r(30, 60) if short else None,
        )
        cert = svc.certification_start_review(
            certification=cert, by=self.people.staff, on=self._at(self.soon(2, 5))
        )
        return svc.certification_reject(
            certification=cert,
            reason=REASONS["reject"][1 if short else 0],
            by=self.people.staff,
            on=self._at(self.soon(5, 15)),
        )

    def s_rejected(self, client, std):
        return self._rejected(client, std, self.T - self.r(40, 240))

    def s_reapplied(self, client, std):
        self._rejected(client, std, self.T - self.r(200, 300))
        self.apply(client, std, self.T - self.r(3, 30))
        return Certification.objects.get(client=client, standard=std)

    def s_stage1(self, client, std):
        received = self.T - self.r(45, 75)
        cert = self.apply(client, std, received)
        cert = self.accept(cert, received + self.r(5, 12))
        cert, _ = self.plan_stage1(
            cert, self.T + self.r(4, 21), planned_on=self.between(self.T - days(10), self.T)
        )
        return cert

    def s_stage1_repeat(self, client, std):
        received = self.T - self.r(110, 150)
        cert = self.apply(client, std, received)
        cert = self.accept(cert, received + self.r(5, 12))
        s1 = received + self.r(25, 35)
        first, second = self.team(s1)
        cert, _ = self.stage1(cert, s1, planned_on=s1 - self.r(10, 15), ready=False, leader=first)
        again = self.T - self.r(5, 20)
        cert, _ = self.stage1(
            cert,
            again,
            planned_on=again - self.r(14, 21),
            leader=second,
            justification=STAGE1_REPEAT_JUSTIFICATION,
        )
        return cert

    def s_stage2(self, client, std):
        cert = self.to_stage1_done(client, std, self.T - self.r(80, 110))
        cert, _ = self.plan_stage2(
            cert, self.T + self.r(5, 25), planned_on=self.between(self.T - days(7), self.T)
        )
        return cert

    def s_stage2_in_progress(self, client, std):
        cert = self.to_stage1_done(client, std, self.T - self.r(80, 110))
        start = self.T - self.r(0, 1)
        cert, audit = self.plan_stage2(cert, start, planned_on=start - self.r(15, 25))
        audit = audit_svc.audit_start(audit=audit, by=audit.team_leader, on=self._at(start))
        for grade, clause, text in self.findings(std, minors=1, observations=1):
            audit_svc.finding_raise(
                audit=audit,
                grade=grade,
                clause=clause,
                description=text,
                by=audit.team_leader,
                on=self._at(self.T),
            )
        cert.refresh_from_db()
        return cert

    def _decision_pending(self, client, std, *, ended_ago, majors, minors):
        received = self.T - ended_ago - self.r(60, 80)
        cert = self.to_stage1_done(client, std, received)
        s2 = self.T - ended_ago - days(self._duration(client, 2) - 1)
        cert, _, raised = self.stage2(
            cert,
            s2,
            planned_on=s2 - self.r(10, 18),
            findings=self.findings(std, majors=majors, minors=minors),
        )
        return cert, raised

    def s_decision_pending(self, client, std):
        # The client has not sent its plan for every minor nonconformity yet.
        cert, raised = self._decision_pending(
            client, std, ended_ago=self.r(3, 20), majors=0, minors=2
        )
        self.resolve(raised[:1], self.soon(1, 5))
        return cert

    def s_decision_pending_ready(self, client, std):
        cert, raised = self._decision_pending(
            client, std, ended_ago=self.r(5, 15), majors=0, minors=None
        )
        self.resolve(raised, self.soon(1, 4))
        return cert

    def s_decision_pending_major(self, client, std):
        # A major whose corrective action is planned but not yet verified.
        cert, raised = self._decision_pending(
            client, std, ended_ago=self.r(20, 60), majors=1, minors=1
        )
        self.resolve(raised, self.soon(5, 15), verify_majors=False)
        return cert

    def s_refused(self, client, std):
        cert, raised = self._decision_pending(
            client, std, ended_ago=self.r(200, 300), majors=1, minors=1
        )
        stage2_end = cert.latest_stage2().actual_end
        self.resolve(raised, self.soon(15, 25), verify_majors=False)
        limit = add_months(stage2_end, policy("MAJOR_VERIFICATION_LIMIT_MONTHS"))
        svc.certification_refuse(
            certification=cert,
            reason=REASONS["refuse"][0],
            by=self.people.decider,
            on=self._at(self.between(limit + DAY, min(limit + days(15), self.T))),
        )
        return cert

    def _active(self, client, std, granted, *, plan_next=True):
        cert = self.certify(client, std, granted)
        cert = self.surveillances(cert, until=self.T, plan_next=plan_next)
        if plan_next:
            self.plan_recertification(cert)
        return cert

    def plan_recertification(self, cert):
        """Expiring within six months: the recertification audit is planned (policy)."""
        if cert.expiry_date - self.T > days(183) or cert.next_surveillance_due:
            return
        start = max(cert.expiry_date - self.r(60, 90), self.T + self.r(7, 21))
        end = start + days(self._duration(cert.client, 1))
        leader, member = self.team(start, end)
        self._at(self.plan_day(self.T, 0, 10))
        audit_svc.audit_plan(
            certification=cert,
            kind="recertification",
            planned_start=start,
            planned_end=end,
            team_leader=leader,
            members=[member],
            late_reason=LATE_REASON if end > cert.expiry_date else "",
            by=self.people.staff,
        )
        cert.refresh_from_db()

    def s_active_recent(self, client, std):
        return self._active(client, std, self.T - self.r(20, 330))

    def s_active_surv1(self, client, std):
        return self._active(client, std, self.T - self.r(400, 700))

    def s_active_surv2(self, client, std):
        return self._active(client, std, self.T - self.r(760, 1060))

    def s_active_overdue(self, client, std):
        # The first surveillance is past its due date; it is planned for the coming weeks.
        cert = self.certify(client, std, self.T - self.r(380, 430))
        start = self.T + self.r(5, 20)
        leader, _ = self.team(start, start + DAY)
        self._at(self.plan_day(self.T, 0, 5))
        audit_svc.audit_plan(
            certification=cert,
            kind="surveillance",
            planned_start=start,
            planned_end=start + DAY,
            team_leader=leader,
            late_reason=LATE_REASON,
            by=self.people.staff,
        )
        cert.refresh_from_db()
        return cert

    def s_active_recertified(self, client, std):
        granted = add_years(self.T, -policy("CYCLE_YEARS")) + days(self.rng.randint(-300, 25))
        cert = self.certify(client, std, granted)
        expiry = cert.expiry_date
        cert = self.surveillances(cert, until=expiry - days(120))
        start = min(expiry - self.r(40, 80), self.T - self.r(25, 45))
        cert = self.recert_audit(cert, start)
        on = self.between(self.last + days(5), min(expiry - DAY, self.T))
        svc.certification_recertify(
            certification=cert,
            by=self.people.decider,
            on=self._at(on),
            reason="再认证审核推荐继续认证 / Recertification audit recommends renewal.",
        )
        cert.refresh_from_db()
        return self.surveillances(cert, until=self.T, plan_next=True)

    def s_active_restored(self, client, std):
        cert = self.certify(client, std, self.granted_for_expiry(self.r(60, 150)))
        cert = self.surveillances(cert, until=cert.expiry_date)
        self.expire(cert)
        cert.refresh_from_db()
        cert = self.recert_audit(cert, cert.expiry_date + self.r(15, 30))
        svc.certification_restore_after_expiry(
            certification=cert,
            by=self.people.decider,
            on=self._at(self.soon(5, 15)),
            reason="在恢复期内完成再认证审核 / Recertification audit completed within the "
            "restoration window.",
        )
        cert.refresh_from_db()
        return cert

    def s_active_lifted(self, client, std):
        cert = self.certify(client, std, self.T - self.r(300, 800))
        suspended = self.T - self.r(60, 150)
        cert = self.surveillances(cert, until=suspended - days(10))
        self.suspend(cert, max(suspended, self.last + days(7)), "suspend_request")
        cert.refresh_from_db()
        start = self.last + self.r(20, 40)
        leader, _ = self.team(start)
        self._at(self.plan_day(start, 7, 14))
        audit = audit_svc.audit_plan(
            certification=cert,
            kind="special",
            planned_start=start,
            planned_end=start,
            team_leader=leader,
            by=self.people.staff,
        )
        self.run_audit(audit, start=start, end=start, recommendation=Recommendation.CONTINUE)
        cert.refresh_from_db()
        svc.certification_lift_suspension(
            certification=cert,
            reason=REASONS["lift"][0],
            by=self.people.decider,
            on=self._at(self.soon(3, 10)),
        )
        return self.surveillances(cert, until=self.T, plan_next=True)

    def s_active_extended(self, client, std):
        """The client applies to extend the scope; the review asks for a special audit, which
        is held and closed; then the decision issues the new version (or, where no time is
        left before today for an audit, the review records why none is needed)."""
        cert = self._active(client, std, self.T - self.r(200, 900), plan_next=False)
        cert.refresh_from_db()
        p = self.people
        added = self.rng.choice(SCOPE_EXTENSIONS)
        ext = svc.scope_extension_apply(
            certification=cert,
            received_on=self._at(self.soon(3, 20)),
            services=added.lstrip("；"),
            scope=cert.scope + added,
            sites=self.sites[-1:],
            by=p.staff,
        )
        start = self.last + self.r(14, 30)
        audit_needed = start + days(3) <= self.today
        ext = svc.scope_extension_review(
            extension=ext,
            audit_needed=audit_needed,
            justification="" if audit_needed else REASONS["extend"][0],
            by=p.staff,
            on=self._at(self.soon(2, 7)),
        )
        reason = REASONS["extend"][0]
        if audit_needed:
            start = max(start, self.last + days(7))
            leader, _ = self.team(start)
            ext, audit = svc.scope_extension_plan_audit(
                extension=ext,
                planned_start=start,
                planned_end=start,
                team_leader=leader,
                by=p.staff,
                on=self._at(self.plan_day(start, 5, 10)),
            )
            self.run_audit(audit, start=start, end=start, recommendation=Recommendation.CONTINUE)
            reason = REASONS["extend_audited"][0]
        svc.scope_extension_grant(
            extension=ext, reason=reason, by=p.decider, on=self._at(self.soon(1, 10))
        )
        cert.refresh_from_db()
        return cert

    def s_suspended(self, client, std):
        # The first surveillance was missed: suspended a few weeks after its due date.
        suspended = self.T - self.r(5, 150)
        cert = self.certify(client, std, add_months(suspended - self.r(15, 45), -12))
        self.suspend(cert, suspended, "suspend_missed")
        return cert

    def s_suspended_major(self, client, std):
        cert = self.certify(client, std, self.T - self.r(400, 480))
        cert = self.surveillances(cert, until=self.T - days(10), majors=1)
        self.suspend(cert, self.soon(3, 7), "suspend_major")
        return cert

    def s_suspended_request(self, client, std):
        cert = self.certify(client, std, self.T - self.r(200, 800))
        suspended = self.T - self.r(10, 100)
        cert = self.surveillances(cert, until=suspended - days(10))
        self.suspend(cert, max(suspended, self.last + days(7)), "suspend_request")
        return cert

    def s_withdrawn(self, client, std):
        # Suspended for a missed surveillance, not restored: withdrawn after the deadline.
        suspended = self.T - self.r(200, 330)
        cert = self.certify(client, std, add_months(suspended - self.r(15, 30), -12))
        self.suspend(cert, suspended, "suspend_missed")
        deadline = add_months(suspended, policy("SUSPENSION_MAX_MONTHS"))
        on = self.between(deadline + DAY, min(deadline + days(10), self.T))
        self.withdraw(cert, on, "withdraw_deadline")
        return cert

    def s_withdrawn_request(self, client, std):
        cert = self.certify(client, std, self.T - self.r(300, 900))
        withdrawn = self.T - self.r(10, 200)
        cert = self.surveillances(cert, until=withdrawn - days(10))
        self.withdraw(cert, max(withdrawn, self.last + days(7)), "withdraw_request")
        return cert

    def _expired(self, client, std, ago):
        cert = self.certify(client, std, self.granted_for_expiry(ago))
        cert = self.surveillances(cert, until=cert.expiry_date)
        self.expire(cert)
        return cert

    def s_expired(self, client, std):
        return self._expired(client, std, self.r(10, 150))

    def s_expired_window_closed(self, client, std):
        return self._expired(client, std, self.r(200, 500))
