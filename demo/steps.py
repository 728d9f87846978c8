# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""The building blocks of a walked demo client: each step goes through the real services
(certificates.services and audits.services) on a given day, so the history it leaves is
genuine: state-log rows (django-fsm-log, stamped with the day of the step), audits, findings,
decisions and certificate versions. The scenarios that string them together are in
demo/walker.py."""

import datetime

from django.db.models import Max
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django_fsm_log.models import StateLog

from audits import services as audit_svc
from audits.models import Booking, Grade, Recommendation
from certificates import services as svc
from certificates.models import Certification, State
from clients.models import ApplicationDocument
from core.dates import add_years
from core.policy import policy

from .people import People
from .profiles import scope_for, soa_version_for
from .vocabulary import (
    AT_CLIENT_REQUEST,
    DAY,
    FINDINGS,
    LATE_REASON,
    OBSERVATIONS,
    PLAN,
    REASONS,
    days,
)


class Steps:
    """The steps a walked client takes through the real services, each on a given day
    (demo/walker.py strings them into scenarios).

    Every service call goes through ``_at(day)``, so the state-log rows the call writes carry
    that day, not the moment the command ran: rows saved one by one are stamped as they are
    saved (pre_save), rows a service bulk-inserts at the next step (``_stamp_bulk_rows``).
    Use it as a context manager, which connects the stamping.
    """

    def __init__(self, *, rng, today, people: People, standards: dict):
        self.rng = rng
        self.today = today
        self.people = people
        self.standards = standards
        self.clock = today
        self.last = today
        self._tick = 0
        self.sites = []  # of the client being walked
        self.language = "zh-hans"
        self._logged = None  # the last state-log row stamped (set on entering the context)
        self._saved_pks = set()  # rows saved one by one since then (stamped by pre_save)

    # -- plumbing ------------------------------------------------------------------------
    def __enter__(self):
        pre_save.connect(self._stamp, sender=StateLog, weak=False, dispatch_uid="seed_demo")
        post_save.connect(self._saved, sender=StateLog, weak=False, dispatch_uid="seed_demo")
        self._logged = self._last_log()
        return self

    def __exit__(self, *exc):
        pre_save.disconnect(sender=StateLog, dispatch_uid="seed_demo")
        post_save.disconnect(sender=StateLog, dispatch_uid="seed_demo")

    def _stamp(self, sender, instance, **kwargs):
        if instance._state.adding:
            instance.timestamp = self._moment(self.clock)

    def _saved(self, sender, instance, created, **kwargs):
        if created:
            self._saved_pks.add(instance.pk)

    @staticmethod
    def _last_log() -> int:
        return StateLog.objects.aggregate(last=Max("pk"))["last"] or 0

    def _stamp_bulk_rows(self):
        """History rows the last step wrote with a bulk insert, which pre_save does not see
        (e.g. a new certification's first row, certificates/bulk.py), take its day too."""
        if self._logged is None:  # not entered as a context: no stamping
            return
        StateLog.objects.filter(pk__gt=self._logged).exclude(pk__in=self._saved_pks).update(
            timestamp=self._moment(self.clock)
        )
        self._logged = self._last_log()
        self._saved_pks.clear()

    def _moment(self, day):
        minutes = min(9 * 60 + 11 * self._tick, 17 * 60 + 30)
        self._tick += 1
        naive = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(
            minutes=minutes
        )
        return timezone.make_aware(naive)

    def _at(self, day: datetime.date) -> datetime.date:
        if day > self.today or day < self.last:
            raise AssertionError(f"demo step on {day}: after today or before {self.last}")
        self._stamp_bulk_rows()  # of the previous step, on its day
        if day != self.clock:
            self._tick = 0
        self.clock = day
        self.last = max(self.last, day)
        return day

    def r(self, lo: int, hi: int) -> datetime.timedelta:
        return days(self.rng.randint(lo, hi))

    def between(self, lo: datetime.date, hi: datetime.date) -> datetime.date:
        if hi <= lo:
            return lo
        return lo + days(self.rng.randint(0, (hi - lo).days))

    def soon(self, lo: int, hi: int) -> datetime.date:
        """A day ``lo``..``hi`` days after the last step, but not after today."""
        first = min(self.last + days(lo), self.today)
        return self.between(max(first, self.last), min(self.last + days(hi), self.today))

    def plan_day(self, start, lo, hi):
        """The day an audit starting on ``start`` is planned: ``lo``..``hi`` days before it,
        but not before the last step nor after today."""
        return min(max(start - self.r(lo, hi), self.last), self.today)

    def team(self, start, end=None):
        """A team leader and a member free from ``start`` to ``end`` (auditors cannot be in
        two places at once: the services refuse an overlapping booking)."""
        pool = self.people.pool or [self.people.auditor, self.people.auditor2]
        busy = set(
            Booking.objects.filter(
                auditor__in=pool, starts_on__lte=end or start + days(3), ends_on__gte=start
            ).values_list("auditor_id", flat=True)
        )
        free = [u for u in pool if u.pk not in busy]
        self.rng.shuffle(free)
        if len(free) < 2:
            raise AssertionError(f"demo: fewer than two auditors free on {start}")
        return free[0], free[1]

    # -- building blocks -----------------------------------------------------------------
    def apply(self, client, std, received, *, complete=True, operating_since=None):
        p = self.people
        self.last = max(self.last, received)
        application = svc.application_submit(
            client=client,
            standards=[std],
            by=p.staff,
            received_on=self._at(received),
            scope=scope_for(self.rng, std, client.country),
            effective_personnel=client.effective_personnel,
            language=self.language,
            sites=self.sites,
            system_operating_since=operating_since or received - self.r(120, 900),
            internal_audit_on=received - self.r(30, 80),
            management_review_on=received - self.r(5, 25),
            no_penalty_declared=True,
            legal_registration_checked=True,
            impartiality_threats="无已识别的公正性威胁 / No threat to impartiality identified.",
        )
        documents = list(std.required_documents.all())
        if not complete:
            missing = set(self.rng.sample(range(len(documents)), self.rng.randint(2, 5)))
            documents = [d for i, d in enumerate(documents) if i not in missing]
        ApplicationDocument.objects.bulk_create(
            ApplicationDocument(
                application=application,
                required_document=d,
                received_on=received - self.r(0, 7),
            )
            for d in documents
        )
        cert = Certification.objects.get(client=client, standard=std)
        if std.requires_soa:  # ISO/IEC 27001: no certificate without the SoA version
            cert = svc.certification_record_soa_version(
                certification=cert, soa_version=soa_version_for(std, received), by=p.staff
            )
        return cert

    def accept(self, cert, on):
        p = self.people
        start = self.between(max(self.last, on - days(10)), on - DAY)
        # The application review records the audit time for the whole cycle (IAF MD 5).
        audit_svc.audit_time_calculate(application=cert.application, by=p.staff, on=self._at(start))
        cert = svc.certification_start_review(certification=cert, by=p.staff, on=self._at(start))
        return svc.certification_accept(
            certification=cert,
            by=p.staff,
            on=self._at(on),
            reason="申请评审通过，已签订认证合同 / Application reviewed, contract signed.",
        )

    def _duration(self, client, base):
        n = client.effective_personnel
        return base + (n >= 100) + (n >= 1000)

    def run_audit(self, audit, *, start, end, recommendation, findings=()):
        p = self.people
        leader = audit.team_leader
        audit = audit_svc.audit_start(audit=audit, by=leader, on=self._at(start))
        raised = [
            audit_svc.finding_raise(
                audit=audit,
                grade=grade,
                clause=clause,
                description=text,
                by=leader,
                on=self._at(end),
            )
            for grade, clause, text in findings
        ]
        audit = audit_svc.audit_submit_report(
            audit=audit, recommendation=recommendation, by=leader, on=self._at(end)
        )
        audit = audit_svc.audit_close(audit=audit, by=p.staff, on=self._at(end))
        return audit, raised

    def findings(self, std, *, majors=0, minors=None, observations=None):
        rng = self.rng
        pool = FINDINGS.get(std.certificate_code, FINDINGS["ITSM"])
        minors = rng.choice((0, 1, 1, 2, 3)) if minors is None else minors
        observations = rng.choice((0, 0, 1, 2)) if observations is None else observations
        picked = rng.sample(pool, min(len(pool), majors + minors))
        out = [(Grade.MAJOR, c, t) for c, t in picked[:majors]]
        out += [(Grade.MINOR, c, t) for c, t in picked[majors:]]
        out += [(Grade.OBSERVATION, c, t) for c, t in rng.sample(OBSERVATIONS, observations)]
        return out

    def resolve(self, raised, on, *, verify_majors=True):
        for f in raised:
            if f.grade == Grade.OBSERVATION:
                continue
            # The finding's team leader follows it up (only its team may: audits/access.py).
            leader = f.audit.team_leader
            f = audit_svc.finding_accept_plan(finding=f, plan=PLAN, by=leader, on=self._at(on))
            if f.grade == Grade.MAJOR and verify_majors:
                f = audit_svc.finding_mark_corrected(finding=f, by=leader, on=self._at(on))
                audit_svc.finding_verify(finding=f, by=leader, on=self._at(on))

    def plan_stage1(self, cert, start, *, planned_on, leader=None, justification=""):
        cert.refresh_from_db()
        leader = leader or self.team(start)[0]
        return svc.certification_plan_stage1(
            certification=cert,
            planned_start=start,
            planned_end=start + days(self._duration(cert.client, 1) - 1),
            team_leader=leader,
            by=self.people.staff,
            on=self._at(min(max(planned_on, self.last), self.today)),
            justification=justification,
        )

    def stage1(self, cert, start, *, planned_on, ready=True, leader=None, justification=""):
        cert, audit = self.plan_stage1(
            cert, start, planned_on=planned_on, leader=leader, justification=justification
        )
        rec = Recommendation.READY_FOR_STAGE2 if ready else Recommendation.NOT_READY
        audit, _ = self.run_audit(audit, start=start, end=audit.planned_end, recommendation=rec)
        return cert, audit

    def plan_stage2(self, cert, start, *, planned_on):
        cert.refresh_from_db()
        leader, member = self.team(start)
        return svc.certification_plan_stage2(
            certification=cert,
            planned_start=start,
            planned_end=start + days(self._duration(cert.client, 2) - 1),
            team_leader=leader,
            members=[member],
            by=self.people.staff,
            on=self._at(min(max(planned_on, self.last), self.today)),
        )

    def stage2(self, cert, start, *, planned_on, findings=()):
        cert, audit = self.plan_stage2(cert, start, planned_on=planned_on)
        audit, raised = self.run_audit(
            audit,
            start=start,
            end=audit.planned_end,
            recommendation=Recommendation.RECOMMEND,
            findings=findings,
        )
        cert = svc.certification_submit_for_decision(
            certification=cert, by=self.people.staff, on=self._at(audit.actual_end + DAY)
        )
        return cert, audit, raised

    def to_stage1_done(self, client, std, received):
        """Applied on ``received``, accepted, stage 1 closed as ready."""
        cert = self.apply(client, std, received)
        cert = self.accept(cert, received + self.r(5, 12))
        s1 = received + self.r(25, 40)
        cert, _ = self.stage1(cert, s1, planned_on=s1 - self.r(10, 18))
        return cert

    def certify(self, client, std, granted):
        """Application three to four months before ``granted``, both stages, grant."""
        received = granted - self.r(100, 140)
        cert = self.to_stage1_done(client, std, received)
        s2 = self.last + self.r(20, 35)
        cert, _, raised = self.stage2(
            cert, s2, planned_on=s2 - self.r(10, 18), findings=self.findings(std, majors=0)
        )
        self.resolve(raised, self.between(self.last + days(5), granted - days(3)))
        svc.certification_grant(
            certification=cert,
            by=self.people.decider,
            on=self._at(granted),
            reason="审核组推荐认证，不符合项已关闭 / Recommended by the audit team; "
            "nonconformities closed.",
        )
        cert.refresh_from_db()
        return cert

    def surveillances(self, cert, *, until, plan_next=False, majors=0):
        """The surveillances of the current cycle whose audit can be over by ``until``."""
        p = self.people
        cert.refresh_from_db()
        dues = cert.surveillance_due_dates()
        while cert.surveillances_done < len(dues):
            due = dues[cert.surveillances_done]
            start = max(due - self.r(20, 60), self.last + days(7))
            held = cert.audits.filter(
                kind="surveillance", cycle=cert.cycle, dates_confirmed=True
            ).exclude(state="cancelled")
            if held.filter(planned_start__year=start.year).exists():
                start = datetime.date(start.year + 1, 1, 2)  # one per calendar year
            if start + DAY > until:
                if plan_next and start <= self.today + days(90) and cert.state == State.ACTIVE:
                    self._at(self.plan_day(start, 21, 35))
                    start = max(start, self.today + days(7))
                    audit_svc.audit_plan(
                        certification=cert,
                        kind="surveillance",
                        planned_start=start,
                        planned_end=start + DAY,
                        team_leader=self.team(start, start + DAY)[0],
                        late_reason=LATE_REASON if start + DAY > due else "",
                        by=p.staff,
                    )
                break
            self._at(self.plan_day(start, 14, 30))
            audit = audit_svc.audit_plan(
                certification=cert,
                kind="surveillance",
                planned_start=start,
                planned_end=start + DAY,
                team_leader=self.team(start, start + DAY)[0],
                late_reason=LATE_REASON if start + DAY > due else "",
                by=p.staff,
            )
            findings = self.findings(
                cert.standard, majors=majors, minors=self.rng.choice((0, 0, 1, 2))
            )
            rec = Recommendation.RECOMMEND_SUSPENSION if majors else Recommendation.CONTINUE
            audit, raised = self.run_audit(
                audit, start=start, end=start + DAY, recommendation=rec, findings=findings
            )
            if not majors:
                self.resolve(raised, self.soon(7, 20))
            cert.refresh_from_db()
            if majors:
                break
        return cert

    def recert_audit(self, cert, start):
        p = self.people
        leader, member = self.team(start, start + days(self._duration(cert.client, 1)))
        self._at(self.plan_day(start, 20, 40))
        audit = audit_svc.audit_plan(
            certification=cert,
            kind="recertification",
            planned_start=start,
            planned_end=start + days(self._duration(cert.client, 1)),
            team_leader=leader,
            members=[member],
            by=p.staff,
        )
        audit, raised = self.run_audit(
            audit,
            start=start,
            end=audit.planned_end,
            recommendation=Recommendation.RECOMMEND,
            findings=self.findings(cert.standard, majors=0),
        )
        self.resolve(raised, self.soon(3, 10))
        cert.refresh_from_db()
        return cert

    def suspend(self, cert, on, key):
        return svc.certification_suspend(
            certification=cert,
            reason=self.rng.choice(REASONS[key]),
            by=self.people.decider,
            on=self._at(on),
            at_client_request=key in AT_CLIENT_REQUEST,
        )

    def withdraw(self, cert, on, key):
        cert.refresh_from_db()
        return svc.certification_withdraw(
            certification=cert,
            reason=self.rng.choice(REASONS[key]),
            by=self.people.decider,
            on=self._at(on),
            at_client_request=key in AT_CLIENT_REQUEST,
        )

    def expire(self, cert):
        cert.refresh_from_db()
        return svc.certification_expire(
            certification=cert, by=None, on=self._at(cert.expiry_date + DAY)
        )

    def granted_for_expiry(self, expiry_before_today: datetime.timedelta) -> datetime.date:
        """A grant date whose cycle expires about ``expiry_before_today`` before today."""
        return add_years(self.today - expiry_before_today + DAY, -policy("CYCLE_YEARS"))
