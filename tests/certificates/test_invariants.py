"""Random walks through one certification's life, checking what must always hold.

A hypothesis state machine drives ONE certification (and its audits and findings) through the
real services with a date that only moves forward. Every action is what a person (or the
nightly expiry task) would do; a refused action must change nothing. After every step the
invariants below are checked against the database.

Each example runs inside its own savepoint, rolled back in ``teardown``: examples do not see
each other's rows, and the test stays a plain (fast) ``django_db`` test.
"""

import collections
import datetime
import itertools

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Group, User
from django.db import transaction
from django_fsm_log.models import StateLog
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from audits import services as audit_svc
from audits.models import Audit, Finding, FindingState, Grade, Recommendation
from audits.services import AuditError
from certificates import services as svc
from certificates.models import (
    CertificateStatus,
    Certification,
    Decision,
    ExtensionState,
    ScopeExtension,
    State,
)
from certificates.services import CertificationConflict, CertificationError
from clients.models import Application
from tests import lifecycle as lc
from tests.audits.factories import all_standards_auditor

D = datetime.date
DAY = datetime.timedelta(days=1)
pytestmark = pytest.mark.django_db

# Successful actions over all examples of a run: the walks must reach the later states, or
# the invariants would hold vacuously.
DONE = collections.Counter()
REFUSED = (CertificationError, AuditError)
LIVE = (CertificateStatus.CURRENT, CertificateStatus.SUSPENDED)
# Certificate statuses written by each certification state (for the newest version).
NEWEST_STATUS = {
    State.ACTIVE: CertificateStatus.CURRENT,
    State.SUSPENDED: CertificateStatus.SUSPENDED,
    State.EXPIRED: CertificateStatus.EXPIRED,
    State.WITHDRAWN: CertificateStatus.WITHDRAWN,
}


class Scripted:
    """Stands in for hypothesis' ``data`` with fixed answers, by draw label."""

    def __init__(self, **values):
        self.values = values

    def draw(self, strategy, label):
        return self.values[label]


def three_years_minus_a_day(start: D) -> D:
    """Written out here, independently of Certification.expiry_for: the day before the third
    anniversary, which for 29 February in a common year is 1 March."""
    try:
        return start.replace(year=start.year + 3) - DAY
    except ValueError:
        return D(start.year + 3, 3, 1) - DAY


def make_machine(people, decider_auditor, auditors=()):
    """The machine class, bound to the users created once for the whole test."""
    # Audits are planned and run on the day they happen, several on one day: team members
    # take turns, as an auditor cannot be booked on two audits the same day.
    rota = itertools.cycle(auditors or [people.auditor, people.auditor2])

    class CertificationMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            # Roll back everything this example writes (a savepoint inside the test's
            # transaction). Entered first, left in teardown (which hypothesis always calls).
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self.pk = None
            self.unresolved = False

        def teardown(self):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

        # -- model of what must have happened ------------------------------------------------
        @initialize(
            start=st.dates(D(2023, 1, 1), D(2027, 12, 31)),
            begin=st.sampled_from(["certified", "application", "late in the cycle"]),
            days_left=st.integers(0, 240),
        )
        def open_application(self, start, begin, days_left):
            self.today = start
            self.log_base = StateLog.objects.count()
            cert = lc.apply(people, received_on=start)
            self.pk = cert.pk
            self.client_id = cert.client_id
            self.state = cert.state
            # The application's opening row, then one per successful certification transition.
            self.cert_log = 1
            self.other_log = 0  # successful audit and finding transitions
            self.decisions = 0
            self.certificates = 0
            self.programme_cancelled = 0
            self.original_date = None
            self.original_from_version = 1  # the first version carrying original_date
            self.cycle_start = None  # expected cycle start and expiry
            self.expiry = None
            self.cycle_by_grant = None  # the cycle was started by a grant (first cycles)
            self.recert_audit_since_cycle_start = False
            self.programme_start = start  # the current application's date
            self.last_revision = cert.revision
            self.previous_copy = None  # the certification as loaded one step earlier
            self.current_copy = cert
            if begin != "application":
                # Most walks start certified (the same actions, all on the first day), some
                # of them close to the expiry date, so the later life of a certification
                # (recertification, expiry, restoration) gets as many steps as the first part.
                data = Scripted(
                    just="as planned", cancel=0, ready=True, findings=[], by=people.decider
                )
                data.values["decision maker on the team"] = False
                for name in ["start_review", "accept", "plan_stage1", "plan_stage2", "submit"]:
                    getattr(self, f"do_{name}")(data)
                self.do_grant(data)
                assert self.fresh().state == State.ACTIVE
                self.state = State.ACTIVE
                if begin == "late in the cycle":
                    self.today = self.expiry - datetime.timedelta(days=days_left)

        def fresh(self) -> Certification:
            return Certification.objects.get(pk=self.pk)

        def snapshot(self):
            cert = self.fresh()
            return {
                "state": cert.state,
                "revision": cert.revision,
                "cycle": cert.cycle,
                "scope": cert.scope,
                "dates": (cert.cycle_start, cert.expiry_date, cert.suspended_on, cert.expired_on),
                "cert_log": StateLog.objects.for_(cert).count(),
                "all_log": StateLog.objects.count(),
                "decisions": Decision.objects.filter(certification=cert).count(),
                "certificates": list(
                    cert.certificates.order_by("version").values_list("version", "status")
                ),
                "audits": list(
                    cert.audits.order_by("pk").values_list("pk", "state", "decision_id")
                ),
                "findings": list(
                    Finding.objects.filter(audit__certification=cert)
                    .order_by("pk")
                    .values_list("pk", "state")
                ),
                "applications": Application.objects.filter(client_id=self.client_id).count(),
                "extensions": list(
                    ScopeExtension.objects.filter(certification=cert)
                    .order_by("pk")
                    .values_list("pk", "state", "audit_id", "decision_id", "revision")
                ),
            }

        def attempt(self, fn):
            """Run one action; if the domain refuses it, nothing may have changed."""
            before = self.snapshot()
            try:
                result = fn()
            except REFUSED as err:
                assert err.messages, "a refusal says why"
                after = self.snapshot()
                assert after == before, f"refused ({err}) but changed: {before} -> {after}"
                return False, None
            return True, result

        def transitioned(self, n=1):
            self.cert_log += n
            # Withdrawal, expiry and a new cycle cancel the still-planned programme audits
            # (each cancellation is logged on its audit).
            cancelled = Audit.objects.filter(
                certification_id=self.pk, programme_year__isnull=False, state="cancelled"
            ).count()
            self.other_log += cancelled - self.programme_cancelled
            self.programme_cancelled = cancelled

        # -- actions (each may be refused) -----------------------------------------------------
        def do_start_review(self, data):
            ok, _ = self.attempt(
                lambda: svc.certification_start_review(
                    certification=self.fresh(), by=people.staff, on=self.today
                )
            )
            if ok:
                self.transitioned()

        def do_accept(self, data):
            ok, _ = self.attempt(
                lambda: svc.certification_accept(
                    certification=self.fresh(), by=people.staff, on=self.today
                )
            )
            if ok:
                self.transitioned()

        def do_reject(self, data):
            reason = data.draw(st.sampled_from(["scope not certifiable", ""]), label="reason")
            ok, _ = self.attempt(
                lambda: svc.certification_reject(
                    certification=self.fresh(), reason=reason, by=people.staff, on=self.today
                )
            )
            if ok:
                assert reason
                self.transitioned()

        def run_audit(self, audit, *, recommendation, grades=()):
            """Start, raise findings, report and close, all today (time moves in `advance`)."""
            leader = audit.team_leader
            audit = audit_svc.audit_start(audit=audit, by=leader, on=self.today)
            for grade in grades:
                audit_svc.finding_raise(
                    audit=audit, grade=grade, description=f"{grade}", by=leader, on=self.today
                )
            audit = audit_svc.audit_submit_report(
                audit=audit, recommendation=recommendation, by=leader, on=self.today
            )
            audit = audit_svc.audit_close(audit=audit, by=people.staff, on=self.today)
            self.other_log += 3
            return audit

        def cancelled(self, audit, data):
            """Sometimes the planned stage audit does not take place (it can be replaced)."""
            if data.draw(st.integers(0, 4), label="cancel") < 4:
                return False
            audit_svc.audit_cancel(
                audit=audit, reason="client unavailable", by=people.staff, on=self.today
            )
            self.other_log += 1
            return True

        def do_plan_stage1(self, data):
            justification = data.draw(st.sampled_from(["new team leader", ""]), label="just")
            cert = self.fresh()
            ok, result = self.attempt(
                lambda: svc.certification_plan_stage1(
                    certification=cert,
                    planned_start=self.today,
                    planned_end=self.today,
                    team_leader=next(rota),
                    justification=justification,
                    by=people.staff,
                    on=self.today,
                )
            )
            if not ok:
                return
            self.transitioned()
            _, audit = result
            if self.cancelled(audit, data):
                return
            ready = data.draw(st.sampled_from([True, False]), label="ready")
            rec = Recommendation.READY_FOR_STAGE2 if ready else Recommendation.NOT_READY
            self.run_audit(audit, recommendation=rec)

        def team(self, data):
            members = [next(rota)]
            if data.draw(st.booleans(), label="decision maker on the team"):
                members.append(decider_auditor)
            return members

        def do_plan_stage2(self, data):
            justification = data.draw(st.sampled_from(["agreed with client", ""]), label="just")
            members = self.team(data)
            grades = data.draw(
                st.lists(st.sampled_from(list(Grade.values)), max_size=3), label="findings"
            )
            cert = self.fresh()
            ok, result = self.attempt(
                lambda: svc.certification_plan_stage2(
                    certification=cert,
                    planned_start=self.today,
                    planned_end=self.today,
                    team_leader=next(rota),
                    members=members,
                    justification=justification,
                    by=people.staff,
                    on=self.today,
                )
            )
            if not ok:
                return
            self.transitioned()
            _, audit = result
            if self.cancelled(audit, data):
                return
            # Rules agree: a stage 2 the certification let us plan for today can start today
            # (otherwise the certification would sit in stage 2 with no way forward).
            self.run_audit(audit, recommendation=Recommendation.RECOMMEND, grades=grades)

        def do_submit(self, data):
            ok, _ = self.attempt(
                lambda: svc.certification_submit_for_decision(
                    certification=self.fresh(), by=people.staff, on=self.today
                )
            )
            if ok:
                self.transitioned()

        def decider(self, data):
            return data.draw(
                st.sampled_from([people.decider, decider_auditor, people.decider, people.staff]),
                label="by",
            )

        def check_decision(self, decision, *, audit_kind):
            """A decision that certifies: the audits it rests on allow it."""
            audits = list(decision.audits.all())
            kinds = {a.kind for a in audits}
            assert audit_kind in kinds, (audit_kind, kinds)
            assert all(a.state == "closed" for a in audits)
            for a in audits:
                assert decision.decided_by_id not in a.team_user_ids(), "decided own audit"
            blocking = Finding.objects.filter(audit__in=audits).blocking_decision()
            assert not blocking.exists(), list(blocking.values("grade", "state"))
            return audits

        def do_grant(self, data):
            by = self.decider(data)
            ok, certificate = self.attempt(
                lambda: svc.certification_grant(certification=self.fresh(), by=by, on=self.today)
            )
            if not ok:
                return
            assert by != people.staff
            self.transitioned()
            self.decisions += 1
            self.certificates += 1
            audits = self.check_decision(certificate.decision, audit_kind="stage2")
            # Only audits of the current application (not of an earlier, withdrawn one).
            assert all(a.actual_start >= self.programme_start for a in audits)
            # Majors verified within the limit after the last day of the (latest) stage 2.
            stage2 = max((a for a in audits if a.kind == "stage2"), key=lambda a: a.actual_end)
            limit = stage2.actual_end + relativedelta(months=6)
            for f in Finding.objects.filter(audit__in=audits, grade=Grade.MAJOR):
                assert f.verified_on <= limit, ("major verified after the limit", f.verified_on)
            # A grant is an initial certification (the first, or after withdrawal, refusal or
            # an expiry not restored): a new original certification date from this version on.
            self.original_date = self.today
            self.original_from_version = self.certificates
            self.cycle_start = self.today
            self.expiry = three_years_minus_a_day(self.today)
            self.cycle_by_grant = True
            self.recert_audit_since_cycle_start = False
            assert certificate.effective_date == self.today

        def do_refuse(self, data):
            by = self.decider(data)
            reason = data.draw(st.sampled_from(["not effective", ""]), label="reason")
            ok, _ = self.attempt(
                lambda: svc.certification_refuse(
                    certification=self.fresh(), reason=reason, by=by, on=self.today
                )
            )
            if ok:
                assert reason and by != people.staff
                self.transitioned()
                self.decisions += 1

        def do_surveillance(self, data):
            ok, audit = self.attempt(
                lambda: audit_svc.audit_plan(
                    certification=self.fresh(),
                    kind="surveillance",
                    planned_start=self.today,
                    planned_end=self.today,
                    team_leader=next(rota),
                    by=people.staff,
                )
            )
            if not ok:
                return
            before = self.fresh()
            done, due = before.surveillances_done, before.next_surveillance_due
            rec = data.draw(
                st.sampled_from([Recommendation.CONTINUE, Recommendation.RECOMMEND_SUSPENSION]),
                label="rec",
            )
            self.run_audit(audit, recommendation=rec)
            # Surveillance is at least once per calendar year: one more is always allowed, and
            # counts for the due date only when held within the 12 months before it (or late).
            counts = due is not None and self.today >= due - relativedelta(months=12)
            assert self.fresh().surveillances_done == done + (1 if counts else 0)
            if counts:
                self.cert_log += 1  # the count is a change of the certification: a history row

        def do_recert_audit(self, data):
            members = self.team(data)
            grades = data.draw(
                st.lists(st.sampled_from(list(Grade.values)), max_size=2), label="findings"
            )
            ok, audit = self.attempt(
                lambda: audit_svc.audit_plan(
                    certification=self.fresh(),
                    kind="recertification",
                    planned_start=self.today,
                    planned_end=self.today,
                    team_leader=next(rota),
                    members=members,
                    by=people.staff,
                )
            )
            if not ok:
                return
            self.run_audit(audit, recommendation=Recommendation.RECOMMEND, grades=grades)
            self.recert_audit_since_cycle_start = True

        def renewed(self, certificate, old):
            """Recertified or restored: the old cycle's dates carried on by 3 years."""
            self.transitioned()
            self.decisions += 1
            self.certificates += 1
            audits = self.check_decision(certificate.decision, audit_kind="recertification")
            assert self.recert_audit_since_cycle_start, "no recertification audit this cycle"
            assert any(
                a.kind == "recertification" and a.actual_end >= old.cycle_start for a in audits
            ), "the recertification audit decided was not run in the cycle being renewed"
            self.cycle_start = old.expiry_date + DAY
            self.expiry = three_years_minus_a_day(self.cycle_start)
            self.cycle_by_grant = False
            self.recert_audit_since_cycle_start = False
            assert certificate.effective_date == self.today

        def do_recertify(self, data):
            by = self.decider(data)
            old = self.fresh()
            ok, certificate = self.attempt(
                lambda: svc.certification_recertify(certification=old, by=by, on=self.today)
            )
            if ok:
                assert self.today <= old.expiry_date
                self.renewed(certificate, old)

        def do_restore(self, data):
            by = self.decider(data)
            old = self.fresh()
            ok, certificate = self.attempt(
                lambda: svc.certification_restore_after_expiry(
                    certification=old, by=by, on=self.today
                )
            )
            if ok:
                assert self.today <= old.expiry_date + relativedelta(months=6)
                self.renewed(certificate, old)
                assert certificate.gap_from == old.expiry_date + DAY
                assert certificate.gap_to == self.today - DAY

        def reason(self, data):
            return data.draw(st.sampled_from(["client request", ""]), label="reason")

        def do_suspend(self, data):
            reason = self.reason(data)
            ok, _ = self.attempt(
                lambda: svc.certification_suspend(
                    certification=self.fresh(), reason=reason, by=people.decider, on=self.today
                )
            )
            if ok:
                self.transitioned()
                self.decisions += 1
                cert = self.fresh()
                assert cert.suspended_on == self.today
                assert cert.suspension_deadline == self.today + relativedelta(months=6)

        def do_lift(self, data):
            reason = self.reason(data)
            before = self.fresh()
            ok, _ = self.attempt(
                lambda: svc.certification_lift_suspension(
                    certification=before, reason=reason, by=people.decider, on=self.today
                )
            )
            if ok:
                assert self.today <= before.suspension_deadline
                self.transitioned()
                self.decisions += 1

        def do_withdraw(self, data):
            reason = self.reason(data)
            ok, _ = self.attempt(
                lambda: svc.certification_withdraw(
                    certification=self.fresh(), reason=reason, by=people.decider, on=self.today
                )
            )
            if ok:
                self.transitioned()
                self.decisions += 1

        def change_scope(self, data, service):
            reason = self.reason(data)
            current = self.fresh().scope
            scope = data.draw(
                st.sampled_from([f"{current} (changed {self.today})", current, ""]),
                label="scope",
            )
            ok, certificate = self.attempt(
                lambda: service(
                    certification=self.fresh(),
                    scope=scope,
                    reason=reason,
                    by=people.decider,
                    on=self.today,
                )
            )
            if ok:
                self.transitioned()
                self.decisions += 1
                self.certificates += 1
                assert certificate.scope == scope.strip() == self.fresh().scope
                assert certificate.effective_date == self.today

        def do_reduce_scope(self, data):
            self.change_scope(data, svc.certification_reduce_scope)

        def do_extend_scope(self, data):
            """The scope is never extended with a reason alone (only through an extension)."""
            ok, _ = self.attempt(
                lambda: svc.certification_extend_scope(
                    certification=self.fresh(),
                    extension=None,
                    reason=self.reason(data),
                    by=self.decider(data),
                    on=self.today,
                )
            )
            assert not ok

        def open_extension(self):
            return (
                ScopeExtension.objects.filter(certification_id=self.pk)
                .exclude(state__in=[ExtensionState.GRANTED, ExtensionState.REFUSED])
                .order_by("pk")
                .last()
            )

        def do_extension(self, data):
            """Steps of a scope extension, as far as they go today: apply and review it (a
            special audit, or a justification), plan and hold the special audit, decide (grant
            or refuse)."""
            for _step in range(4):
                before = (self.cert_log, self.other_log, self.open_extension())
                self.extension_step(data)
                if (self.cert_log, self.other_log, self.open_extension()) == before:
                    return  # refused
                if self.open_extension() is None:
                    return  # decided
                if data.draw(st.integers(0, 3), label="go on with the extension") == 0:
                    return

        def extension_step(self, data):
            ext = self.open_extension()
            if ext is None:
                current = self.fresh().scope
                scope = data.draw(
                    st.sampled_from([f"{current}; extra {self.today}", current]),
                    label="extended scope",
                )
                ok, ext = self.attempt(
                    lambda: svc.scope_extension_apply(
                        certification=self.fresh(),
                        received_on=self.today,
                        services=f"extra services {self.today}",
                        scope=scope,
                        by=people.staff,
                    )
                )
                if not ok:
                    return
            if ext.state == ExtensionState.APPLIED:
                audit_needed = data.draw(st.booleans(), label="audit needed")
                why = data.draw(st.sampled_from(["verified at surveillance", ""]), label="why")
                ok, _ = self.attempt(
                    lambda: svc.scope_extension_review(
                        extension=ext,
                        audit_needed=audit_needed,
                        justification=why,
                        by=people.staff,
                        on=self.today,
                    )
                )
                if ok:
                    self.other_log += 1
                    assert audit_needed or why
            elif ext.state == ExtensionState.REVIEWED and ext.audit_needed:
                members = self.team(data)
                ok, planned = self.attempt(
                    lambda: svc.scope_extension_plan_audit(
                        extension=ext,
                        planned_start=self.today,
                        planned_end=self.today,
                        team_leader=members[0],
                        members=members[1:],
                        by=people.staff,
                        on=self.today,
                    )
                )
                if ok:
                    self.other_log += 1
                    assert planned[1].kind == "special"
                    if data.draw(st.integers(0, 3), label="hold the special audit") > 0:
                        self.run_audit(planned[1], recommendation=Recommendation.CONTINUE)
            elif ext.state == ExtensionState.AUDIT_PLANNED and ext.audit.state == "planned":
                self.run_audit(ext.audit, recommendation=Recommendation.CONTINUE)
            else:
                self.decide_extension(ext, data)

        def decide_extension(self, ext, data):
            by = self.decider(data)
            if data.draw(st.integers(0, 3), label="refuse the extension") == 0:
                ok, _ = self.attempt(
                    lambda: svc.scope_extension_refuse(
                        extension=ext, reason=self.reason(data), by=by, on=self.today
                    )
                )
                if ok:
                    self.other_log += 1
                    DONE["extension_refused"] += 1
                return
            ok, certificate = self.attempt(
                lambda: svc.scope_extension_grant(
                    extension=ext, reason=self.reason(data), by=by, on=self.today
                )
            )
            if not ok:
                return
            self.transitioned()
            self.other_log += 1
            self.decisions += 1
            self.certificates += 1
            ext.refresh_from_db()
            assert certificate.scope == ext.scope == self.fresh().scope
            assert certificate.effective_date == self.today
            assert certificate.decision == ext.decision
            DONE["extension_granted"] += 1
            if ext.audit_needed:
                self.check_decision(ext.decision, audit_kind="special")
                DONE["extension_audited"] += 1

        def do_expire(self, data):
            ok, _ = self.attempt(
                lambda: svc.certification_expire(
                    certification=self.fresh(), by=people.staff, on=self.today
                )
            )
            if ok:
                self.transitioned()

        def do_reapply(self, data):
            client = self.fresh().client
            ok, _ = self.attempt(lambda: lc.apply(people, client=client, received_on=self.today))
            if ok:
                self.transitioned()
                self.recert_audit_since_cycle_start = False
                self.programme_start = self.today

        def unresolved_findings(self):
            return list(
                Finding.objects.filter(
                    audit__certification_id=self.pk,
                    state__in=[
                        FindingState.OPEN,
                        FindingState.PLAN_ACCEPTED,
                        FindingState.CORRECTED,
                    ],
                ).order_by("pk")
            )

        def resolve_all(self):
            """Plans accepted for every nonconformity, majors corrected and verified."""
            for f in self.unresolved_findings():
                # Its own team leader follows a finding up (only its team may: audits.access).
                leader = f.audit.team_leader
                if f.state == FindingState.OPEN:
                    f = audit_svc.finding_accept_plan(
                        finding=f, plan="fix it", by=leader, on=self.today
                    )
                    self.other_log += 1
                if f.grade == Grade.MAJOR and f.state == FindingState.PLAN_ACCEPTED:
                    f = audit_svc.finding_mark_corrected(finding=f, by=leader, on=self.today)
                    self.other_log += 1
                if f.grade == Grade.MAJOR and f.state == FindingState.CORRECTED:
                    audit_svc.finding_verify(finding=f, by=leader, on=self.today)
                    self.other_log += 1

        def do_resolve(self, data):
            """Move one finding one step on (sometimes with an empty plan: refused)."""
            open_findings = list(
                Finding.objects.filter(
                    audit__certification_id=self.pk,
                    state__in=[
                        FindingState.OPEN,
                        FindingState.PLAN_ACCEPTED,
                        FindingState.CORRECTED,
                    ],
                ).order_by("pk")
            )
            if not open_findings:
                return
            finding = data.draw(st.sampled_from(open_findings), label="finding")
            leader = finding.audit.team_leader
            if finding.state == FindingState.OPEN:
                plan = data.draw(st.sampled_from(["fix it", ""]), label="plan")
                action = lambda: audit_svc.finding_accept_plan(  # noqa: E731
                    finding=finding, plan=plan, by=leader, on=self.today
                )
            elif finding.state == FindingState.PLAN_ACCEPTED:
                action = lambda: audit_svc.finding_mark_corrected(  # noqa: E731
                    finding=finding, by=leader, on=self.today
                )
            else:
                action = lambda: audit_svc.finding_verify(  # noqa: E731
                    finding=finding, by=leader, on=self.today
                )
            ok, _ = self.attempt(action)
            if ok:
                self.other_log += 1

        # What people usually do next in each state, as weights (an action listed twice is
        # tried twice as often). The rest of the time any action is tried, in any state.
        NEXT = {
            State.APPLIED: ["start_review"] * 6 + ["reject"],
            State.UNDER_REVIEW: ["accept"] * 4 + ["reject"],
            State.ACCEPTED: ["plan_stage1"],
            State.STAGE1: ["plan_stage2"] * 3 + ["plan_stage1"],
            State.STAGE2: ["submit"] * 3 + ["plan_stage2"],
            State.DECISION_PENDING: ["grant"] * 4 + ["refuse", "plan_stage2"],
            State.ACTIVE: [
                *["recert_audit", "suspend", "surveillance", "withdraw", "recertify"],
                *["recert_audit", "reduce_scope", "surveillance", "extension", "expire"],
            ],
            State.SUSPENDED: ["lift"] * 3 + ["withdraw", "reduce_scope", "expire"],
            State.EXPIRED: ["recert_audit", "restore"] * 2 + ["plan_stage2"],
            State.REJECTED: ["reapply"],
            State.REFUSED: ["reapply"],
            State.WITHDRAWN: ["reapply"],
        }

        def likely(self):
            """NEXT, knowing a little more: what the audits so far make possible."""
            cert = self.fresh()
            if cert.state == State.STAGE1:
                stage1 = cert.latest_stage1()
                if stage1 is None or not stage1.is_closed_ready:
                    return ["plan_stage1"] * 3 + ["plan_stage2"]
            if cert.state == State.STAGE2:
                stage2 = cert.latest_stage2()
                if stage2 is None or stage2.state != "closed":
                    return ["plan_stage2"] * 3 + ["submit"]
            if cert.state in (State.ACTIVE, State.EXPIRED) and cert.audits_under_decision(
                "recertification"
            ):
                return ["recertify" if cert.state == State.ACTIVE else "restore"] * 3 + self.NEXT[
                    cert.state
                ]
            if cert.state == State.ACTIVE and self.open_extension() is not None:
                return ["extension"] * 2 + self.NEXT[cert.state]
            return self.NEXT[cert.state]

        ALL_ACTIONS = sorted({name for names in NEXT.values() for name in names} | {"extend_scope"})

        def run(self, name, data):
            done = (self.cert_log, self.other_log)
            getattr(self, f"do_{name}")(data)
            if (self.cert_log, self.other_log) != done:
                DONE[name] += 1

        def next_action(self, data):
            if data.draw(st.integers(0, 7), label="any action") == 7:
                names = self.ALL_ACTIONS
            else:
                names = self.likely()
            self.run(data.draw(st.sampled_from(names), label="action"), data)

        # -- rules ------------------------------------------------------------------------------
        # `act` and `act_again` are the same rule: two of them make acting more frequent than
        # the other rules (time passing, findings, stale pages), so walks get far.
        @rule(data=st.data())
        def act(self, data):
            self.next_action(data)

        @rule(data=st.data())
        def act_again(self, data):
            self.next_action(data)

        @rule(data=st.data())
        @precondition(lambda self: self.unresolved)
        def resolve(self, data):
            if data.draw(st.booleans(), label="resolve all"):
                self.resolve_all()
            else:
                self.do_resolve(data)

        @rule(
            days=st.one_of(st.integers(0, 31), st.integers(0, 400)),
            by_staff=st.booleans(),
        )
        def advance(self, days, by_staff):
            """Time passes. The nightly task (or staff) expires a certificate the day after
            its expiry date, as it would in production."""
            new_today = self.today + datetime.timedelta(days=days)
            cert = self.fresh()
            if cert.state in (State.ACTIVE, State.SUSPENDED) and cert.expiry_date < new_today:
                day = cert.expiry_date + DAY
                if by_staff:
                    svc.certification_expire(certification=cert, by=people.staff, on=day)
                else:
                    assert svc.expire_due_certifications(on=day) == 1
                self.transitioned()
                DONE["expiry"] += 1
                # Run twice, nothing more happens.
                assert svc.expire_due_certifications(on=day) == 0
            self.today = new_today

        @rule(data=st.data())
        @precondition(
            lambda self: (
                self.previous_copy is not None
                and self.previous_copy.revision != self.current_copy.revision
            )
        )
        def act_on_stale_page(self, data):
            """Someone acts on the certification as it was a step ago: conflict, no change."""
            stale = self.previous_copy
            action = data.draw(
                st.sampled_from(
                    [
                        lambda: svc.certification_suspend(
                            certification=stale, reason="x", by=people.decider, on=self.today
                        ),
                        lambda: svc.certification_withdraw(
                            certification=stale, reason="x", by=people.decider, on=self.today
                        ),
                        lambda: svc.certification_grant(
                            certification=stale, by=people.decider, on=self.today
                        ),
                        lambda: svc.certification_start_review(
                            certification=stale, by=people.staff, on=self.today
                        ),
                    ]
                ),
                label="action",
            )
            before = self.snapshot()
            with pytest.raises(CertificationConflict, match="Someone else changed"):
                action()
            assert self.snapshot() == before

        # -- invariants -----------------------------------------------------------------------
        @invariant()
        def holds(self):
            if self.pk is None:
                return
            cert = self.fresh()
            today = self.today
            self.state = cert.state
            self.unresolved = bool(self.unresolved_findings())
            self.previous_copy, self.current_copy = self.current_copy, cert

            # The revision only moves forward.
            assert cert.revision >= self.last_revision
            self.last_revision = cert.revision

            # One StateLog row per successful transition, nothing more.
            assert StateLog.objects.for_(cert).count() == self.cert_log
            assert StateLog.objects.count() - self.log_base == self.cert_log + self.other_log
            assert Decision.objects.filter(certification=cert).count() == self.decisions

            # Certificate versions: 1..n, one number, at most the newest is live.
            certificates = list(cert.certificates.order_by("version"))
            assert len(certificates) == self.certificates
            assert [c.version for c in certificates] == list(range(1, len(certificates) + 1))
            live = [c for c in certificates if c.status in LIVE]
            assert len(live) <= 1
            if live:
                assert live[0] == certificates[-1], "only the newest version may be live"
            for c in certificates:
                assert c.number == cert.certificate_number
                assert c.effective_date <= c.expiry_date
                assert c.effective_date >= c.decision.decided_on
                if c.version >= self.original_from_version:
                    assert c.original_certification_date == self.original_date
                else:  # an earlier certification, before a break
                    assert c.original_certification_date <= self.original_date
                assert c.original_certification_date <= c.effective_date
                if c.gap_from:
                    assert c.gap_from <= c.gap_to < c.effective_date

            # What each state means for the certificate and the public.
            current = cert.current_certificate()
            publicly_active = Certification.objects.active().filter(pk=cert.pk).exists()
            assert cert.is_valid == publicly_active == (cert.state == State.ACTIVE)
            if cert.state in NEWEST_STATUS:
                assert certificates and certificates[-1].status == NEWEST_STATUS[cert.state]
            if cert.state == State.ACTIVE:
                assert current is not None and current.status == CertificateStatus.CURRENT
                assert current.effective_date <= today <= current.expiry_date
                assert current.expiry_date == cert.expiry_date
                assert current.scope == cert.scope
                dues = cert.surveillance_due_dates()
                done = cert.surveillances_done
                assert cert.next_surveillance_due == (dues[done] if done < len(dues) else None)
                if done == 0:  # the first is due no later than 12 months into the cycle
                    assert cert.next_surveillance_due == cert.cycle_start + relativedelta(months=12)
            elif cert.state == State.SUSPENDED:
                assert current is not None and current.status == CertificateStatus.SUSPENDED
                assert not cert.is_valid
                assert cert.suspended_on <= today <= cert.expiry_date
                assert cert.suspension_deadline == cert.suspended_on + relativedelta(months=6)
            else:
                assert current is None, f"{cert.state} with a live certificate"
            if cert.state != State.SUSPENDED:
                assert cert.suspended_on is None and cert.suspension_deadline is None
            if cert.state in (State.ACTIVE, State.SUSPENDED):
                assert cert.expired_on is None
            if cert.state == State.EXPIRED:
                # (kept after a new stage 2 as the record of the expiry, until a grant)
                assert cert.expiry_date < cert.expired_on <= today

            # Cycle dates: as the decisions set them.
            assert cert.original_certification_date == self.original_date
            assert (cert.cycle_start, cert.expiry_date) == (self.cycle_start, self.expiry)
            if cert.cycle_start is not None:
                assert cert.expiry_date > cert.cycle_start
                assert cert.expiry_date == three_years_minus_a_day(cert.cycle_start)

            # Scope extensions: decided only after their review, and their special audit closed
            # (or a recorded justification that none was needed).
            for ext in ScopeExtension.objects.filter(certification=cert).select_related("audit"):
                if ext.state in (ExtensionState.APPLIED,):
                    assert ext.reviewed_on is None and ext.audit is None
                else:
                    assert ext.received_on <= ext.reviewed_on <= today
                    assert ext.audit_needed or ext.no_audit_justification
                if ext.audit is not None:
                    assert ext.audit_needed and ext.audit.kind == "special"
                if ext.state == ExtensionState.GRANTED:
                    assert ext.decision.outcome == "extend_scope"
                    assert ext.decision.decided_on == ext.decided_on >= ext.reviewed_on
                    assert ext.decision.certificates.get().scope == ext.scope
                    if ext.audit_needed:
                        assert ext.audit.state == "closed"
                        assert ext.audit.closed_on <= ext.decided_on
                else:
                    assert ext.decision_id is None

            # Audits of a certification never end in the future, findings follow their grade.
            assert not Audit.objects.filter(certification=cert, actual_end__gt=today).exists()
            assert not Finding.objects.filter(
                audit__certification=cert, grade=Grade.OBSERVATION
            ).exclude(state=FindingState.NOTED)

    CertificationMachine.TestCase.settings = settings(
        max_examples=80,
        stateful_step_count=30,
        deadline=None,
        # Same walks every run: the coverage check below (every kind of step reached) must not
        # depend on luck, and a failure must reproduce.
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    return CertificationMachine


def test_certification_invariants(people):
    decider_auditor = all_standards_auditor("decider_auditor")
    decider_auditor.groups.add(Group.objects.get(name="Decision maker"))
    decider_auditor = User.objects.get(pk=decider_auditor.pk)
    auditors = [all_standards_auditor(f"rota{n}") for n in range(8)]
    machine = make_machine(people, decider_auditor, auditors)
    DONE.clear()
    run_state_machine_as_test(machine, settings=machine.TestCase.settings)
    for name in ["grant", "surveillance", "recertify", "suspend", "expiry", "reapply"]:
        assert DONE[name], f"no walk managed to {name}: {dict(DONE)}"
    for name in ["extension_granted", "extension_audited"]:  # refusals: test_scope_extension
        assert DONE[name], f"no walk managed to {name}: {dict(DONE)}"


# -- Regressions found by the machine -----------------------------------------------------------
def test_an_audit_before_the_cycle_start_does_not_renew_it_again(people):
    """Recertified early (the new cycle starts at the old expiry), a second recertification
    audit the same year cannot renew the not yet started cycle once more."""
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    lc.recert_audit(cert, people, start=D(2025, 3, 3))
    svc.certification_recertify(certification=cert, by=people.decider, on=D(2025, 3, 10))
    cert.refresh_from_db()
    assert (cert.cycle_start, cert.expiry_date) == (D(2028, 1, 15), D(2031, 1, 14))
    lc.recert_audit(cert, people, start=D(2025, 4, 1))
    with pytest.raises(CertificationError) as err:
        svc.certification_recertify(certification=cert, by=people.decider, on=D(2025, 4, 10))
    assert err.value.messages == ["There is no closed recertification audit awaiting a decision."]
    cert.refresh_from_db()
    assert cert.expiry_date == D(2031, 1, 14)


def test_a_major_verified_after_the_limit_still_requires_a_new_stage2(people):
    """Stage 2 ended 2024-12-18: majors had to be verified by 2025-06-18. Verified later, the
    decision is still refused and a new stage 2 is needed (no reason required for it)."""
    cert, _, raised = lc.pending(people, findings=["major"])
    lc.resolve(raised, people, on=D(2025, 7, 1))
    with pytest.raises(CertificationError) as err:
        svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 7, 2))
    assert "a new stage 2 is required" in str(err.value)
    cert.refresh_from_db()
    cert, _ = svc.certification_plan_stage2(
        certification=cert,
        planned_start=D(2025, 7, 20),
        planned_end=D(2025, 7, 21),
        team_leader=people.auditor,
        by=people.staff,
        on=D(2025, 7, 2),
    )
    assert cert.state == State.STAGE2


def test_scope_reduced_on_the_last_day_of_the_cycle(people):
    """A new version issued on the expiry date is valid for that one day (it used to break the
    database constraint expiry > effective: a server error instead of a certificate)."""
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    certificate = svc.certification_reduce_scope(
        certification=cert,
        scope="IT operation services (Beijing only)",
        reason="Site closed",
        by=people.decider,
        on=D(2028, 1, 14),
    )
    assert (certificate.version, certificate.effective_date, certificate.expiry_date) == (
        2,
        D(2028, 1, 14),
        D(2028, 1, 14),
    )


def test_no_scope_change_after_the_expiry_date(people):
    """The nightly expiry has not run yet: the scope cannot be changed on an expired cycle."""
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    for change in (svc.certification_reduce_scope, lc.extend_scope):
        with pytest.raises(CertificationError) as err:
            change(
                certification=cert,
                scope="Another scope",
                reason="Asked by the client",
                by=people.decider,
                on=D(2028, 1, 15),
            )
        assert err.value.messages == ["The certificate expired on 2028-01-14."]
    assert cert.certificates.count() == 1
