# ruff: noqa: RUF001 (Chinese text uses full-width punctuation)
"""Demo clients in bulk, for large seeds: client, sites, contact, application and a
certification in its final state with consistent dates, its decisions and certificate
version 1, one chunk at a time so memory stays flat however many clients are asked for.

Clients, sites, contacts, applications and decisions are plain ``bulk_create`` rows. The
certifications go through the certificates app's bulk service (certificates/bulk.py), so they
carry a revision and a history row like any other write, and each certificate version is put
together by ``certificate_build``, the function the issuing services use."""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate

from django.db import connection
from django.utils import timezone

from certificates.bulk import certifications_create, certifications_update
from certificates.models import (
    Certificate,
    CertificateStatus,
    Certification,
    Decision,
    DecisionOutcome,
    Ending,
    State,
)
from certificates.services import certificate_build, certificate_number_for
from clients.models import Application, Client, Contact, Site
from core.dates import add_months, add_years
from core.policy import policy

from .people import People
from .profiles import (
    batched,
    dodge_collisions,
    make_profile,
    pick_standard,
    scope_for,
    soa_version_for,
)
from .vocabulary import DAY, DEMO_NOTE, REASONS, days

BULK_STATES = (
    (State.ACTIVE, 60), (State.SUSPENDED, 4), (State.WITHDRAWN, 5), (State.EXPIRED, 7),
    (State.APPLIED, 3), (State.UNDER_REVIEW, 3), (State.ACCEPTED, 3), (State.REJECTED, 2),
    (State.STAGE1, 4), (State.STAGE2, 4), (State.DECISION_PENDING, 4), (State.REFUSED, 1),
)  # fmt: skip
_BULK_STATE_LIST = [s for s, _ in BULK_STATES]
_BULK_STATE_CUM = list(accumulate(w for _, w in BULK_STATES))
CERTIFIED = {
    State.ACTIVE: CertificateStatus.CURRENT,
    State.SUSPENDED: CertificateStatus.SUSPENDED,
    # The bulk withdrawals are the client's request (plan_decisions): cancellations (注销).
    State.WITHDRAWN: CertificateStatus.CANCELLED,
    State.EXPIRED: CertificateStatus.EXPIRED,
}
# Days before today the application was received, for states before certification.
_RECEIVED_AGO = {
    State.APPLIED: (0, 30),
    State.UNDER_REVIEW: (5, 45),
    State.ACCEPTED: (20, 90),
    State.REJECTED: (20, 600),
    State.STAGE1: (40, 150),
    State.STAGE2: (70, 200),
    State.DECISION_PENDING: (100, 240),
    State.REFUSED: (150, 900),
}
GRANT_REASON = "审核组推荐认证，不符合项已关闭 / Recommended by the audit team."
# The history rows of bulk certifications (django-fsm-log's transition column): opened in their
# final state by seed_demo, then numbered.
SEEDED = "seed_demo"
NUMBERED = "assign_certificate_number"
MORNING = datetime.time(10, 0)


def _insert(model, objs, key_fields, batch_size=1000):
    """bulk_create that leaves every object with its pk: returned by the database where it
    can (PostgreSQL, SQLite >= 3.35), else read back by a key unique within ``objs``."""
    if not objs:
        return objs
    model.objects.bulk_create(objs, batch_size=batch_size)
    if objs[0].pk is not None:
        return objs
    first = key_fields[0]
    pks = {}
    for batch in batched({getattr(o, first) for o in objs}, 900):
        rows = model.objects.filter(**{f"{first}__in": batch}).values_list("pk", *key_fields)
        for pk, *key in rows:
            pks[tuple(key)] = pk
    for o in objs:
        o.pk = pks[tuple(getattr(o, f) for f in key_fields)]
        o._state.adding = False
    return objs


@dataclass
class BulkPlan:
    """What one bulk client's certification looks like (dates relative to today)."""

    state: str
    received: datetime.date
    fields: dict = field(default_factory=dict)  # Certification fields
    decided_on: datetime.date | None = None  # of the refusal or the withdrawal


class BulkWriter:
    """Writes clients with bulk_create, one chunk per call (the caller opens a transaction)."""

    def __init__(self, *, rng, today, people: People, standards: dict):
        self.rng = rng
        self.today = today
        self.decider_id = people.decider.pk
        self.standards = standards
        self.max_age = (today - add_years(today, -policy("CYCLE_YEARS"))).days

    def d(self, lo, hi):
        return days(self.rng.randint(lo, hi))

    def between(self, lo, hi):
        return lo if hi <= lo else lo + days(self.rng.randint(0, (hi - lo).days))

    def write(self, serials: range) -> Counter:
        """One chunk of clients, each with its certification in a final state."""
        profiles = [make_profile(self.rng, s) for s in serials]
        dodge_collisions(profiles)
        clients, sites_of = self._clients(profiles)
        applications, standards, plans = self._applications(profiles, clients, sites_of)
        certs = self._certifications(applications, standards, plans)
        self._decisions_and_certificates(certs, plans)
        return Counter(cert.state for cert in certs)

    def _clients(self, profiles):
        """Clients, their sites and primary contacts; returns the clients and the pks of
        each client's sites."""
        clients = _insert(
            Client,
            # bulk_create skips Client.save(): fill the public name search fields here.
            [Client(**p.client).set_search_fields() for p in profiles],
            ("registration_id",),
        )
        sites = []
        for p, c in zip(profiles, clients, strict=True):
            sites.extend(Site(client_id=c.pk, **s) for s in p.sites)
        _insert(Site, sites, ("client_id", "name"))
        Contact.objects.bulk_create(
            (Contact(client_id=c.pk, **p.contact) for p, c in zip(profiles, clients, strict=True)),
            batch_size=1000,
        )
        sites_of = {}
        for s in sites:
            sites_of.setdefault(s.client_id, []).append(s.pk)
        return clients, sites_of

    def _applications(self, profiles, clients, sites_of):
        """One application per client, for one standard and all its sites; returns the
        applications, their standards and the plan of each client's certification."""
        rng = self.rng
        plans, applications, standards = [], [], []
        for p, c in zip(profiles, clients, strict=True):
            std = pick_standard(rng, self.standards)
            plan = self.plan()
            r = plan.received
            plans.append(plan)
            standards.append(std)
            applications.append(
                Application(
                    client_id=c.pk,
                    received_on=r,
                    scope=scope_for(rng, std, c.country),
                    effective_personnel=c.effective_personnel,
                    language=p.language,
                    system_operating_since=r - self.d(95, 900),
                    internal_audit_on=r - self.d(30, 80),
                    management_review_on=r - self.d(5, 25),
                    no_penalty_declared=True,
                    legal_registration_checked=True,
                )
            )
        _insert(Application, applications, ("client_id",))
        Application.standards.through.objects.bulk_create(
            (
                Application.standards.through(application_id=a.pk, standard_id=s.pk)
                for a, s in zip(applications, standards, strict=True)
            ),
            batch_size=1000,
        )
        Application.sites.through.objects.bulk_create(
            (
                Application.sites.through(application_id=a.pk, site_id=site_id)
                for a in applications
                for site_id in sites_of[a.client_id]
            ),
            batch_size=1000,
        )
        return applications, standards, plans

    def _certifications(self, applications, standards, plans):
        """The certifications, through the bulk certification service (certificates/bulk.py):
        each opened in its final state with one history row dated the day it entered that
        state, then the certified ones numbered (the number needs the pk), which bumps their
        revision and records that write too."""
        certs = [
            Certification(
                client_id=a.client_id,
                standard=std,  # cached: certificate_number_for and certificate_build read it
                application_id=a.pk,
                scope=a.scope,
                soa_version=soa_version_for(std, a.received_on),
                state=plan.state,
                **plan.fields,
            )
            for a, std, plan in zip(applications, standards, plans, strict=True)
        ]
        for cert, plan in zip(certs, plans, strict=True):
            if cert.cycle_start:
                self._surveillance_programme(cert, plan)
        certifications_create(certs, description=DEMO_NOTE, transition=SEEDED, at=_moment_of_state)
        certified = [cert for cert in certs if cert.state in CERTIFIED]
        for cert in certified:
            cert.certificate_number = certificate_number_for(cert)
        certifications_update(
            certified,
            ["certificate_number"],
            description=DEMO_NOTE,
            transition=NUMBERED,
            at=_moment_of_state,
        )
        return certs

    def _decisions_and_certificates(self, certs, plans):
        """The decisions each certification's state rests on, and version 1 of the
        certificate the grant issued (built by the certificates app: certificate_build)."""
        decisions, grants = [], {}
        for cert, plan in zip(certs, plans, strict=True):
            for outcome, on, reason in plan_decisions(cert, plan):
                decision = Decision(
                    certification_id=cert.pk,
                    outcome=outcome,
                    decided_on=on,
                    decided_by_id=self.decider_id,
                    reason=reason,
                    # The bulk withdrawals are the client's request (plan_decisions).
                    at_client_request=outcome == DecisionOutcome.WITHDRAW,
                    ending=Ending.CLIENT_REQUEST if outcome == DecisionOutcome.WITHDRAW else "",
                )
                decisions.append(decision)
                if outcome == DecisionOutcome.GRANT:
                    grants[cert.pk] = decision
        _insert(Decision, decisions, ("certification_id", "outcome"))
        Certificate.objects.bulk_create(
            (
                certificate_build(
                    cert,
                    decision=grants[cert.pk],
                    on=cert.cycle_start,
                    status=CERTIFIED[cert.state],
                )
                for cert in certs
                if cert.state in CERTIFIED
            ),
            batch_size=1000,
        )

    def plan(self) -> BulkPlan:
        rng, T = self.rng, self.today
        state = rng.choices(_BULK_STATE_LIST, cum_weights=_BULK_STATE_CUM)[0]
        if state not in CERTIFIED:
            lo, hi = _RECEIVED_AGO[state]
            received = T - self.d(lo, hi)
            refused_on = min(received + self.d(120, 200), T) if state == State.REFUSED else None
            plan = BulkPlan(state, received, decided_on=refused_on)
            plan.fields["state_since"] = _since_before_certification(plan, T)
            return plan
        if state == State.ACTIVE:
            start = T - self.d(0, self.max_age - 1)
        elif state == State.SUSPENDED:
            suspended_on = T - self.d(1, 200)
            start = self.between(T - days(self.max_age - 1), suspended_on - days(30))
        elif state == State.WITHDRAWN:
            start = T - self.d(120, 1800)
        else:  # expired
            expiry = T - self.d(1, 900)
            start = add_years(expiry + DAY, -policy("CYCLE_YEARS"))
        expiry = Certification.expiry_for(start)
        while state in (State.ACTIVE, State.SUSPENDED) and expiry < T:  # leap-day edge
            start += DAY
            expiry = Certification.expiry_for(start)
        plan = BulkPlan(state, start - self.d(90, 180))
        plan.fields = {
            "cycle_start": start,
            "expiry_date": expiry,
            "original_certification_date": start,
        }
        if state == State.SUSPENDED:
            plan.fields["suspended_on"] = suspended_on
            plan.fields["suspension_deadline"] = add_months(
                suspended_on, policy("SUSPENSION_MAX_MONTHS")
            )
        elif state == State.WITHDRAWN:
            plan.decided_on = self.between(start + days(60), min(expiry - DAY, T - DAY))
        elif state == State.EXPIRED:
            plan.fields["expired_on"] = expiry + DAY
        plan.fields["state_since"] = {
            State.ACTIVE: start,
            State.SUSPENDED: plan.fields.get("suspended_on"),
            State.WITHDRAWN: plan.decided_on,
            State.EXPIRED: plan.fields.get("expired_on"),
        }[state]
        return plan

    def _surveillance_programme(self, cert, plan):
        """surveillances_done and next_surveillance_due as the programme would leave them."""
        T = self.today
        dues = cert.surveillance_due_dates()
        state = cert.state
        if state == State.EXPIRED:
            cert.surveillances_done, cert.next_surveillance_due = len(dues), None
            return
        until = {
            State.ACTIVE: T,
            State.SUSPENDED: cert.suspended_on,
            State.WITHDRAWN: plan.decided_on,
        }[state]
        done = sum(1 for due in dues if due - days(30) <= until)
        if state == State.ACTIVE and done and dues[done - 1] < T and self.rng.random() < 0.05:
            done -= 1  # the surveillance is overdue
        cert.surveillances_done = done
        cert.next_surveillance_due = (
            dues[done] if done < len(dues) and state != State.WITHDRAWN else None
        )


def plan_decisions(cert, plan: BulkPlan):
    """(outcome, date, reason) of the decisions a bulk certification carries."""
    state = cert.state
    if state == State.REFUSED:
        return [(DecisionOutcome.REFUSE, plan.decided_on, REASONS["refuse"][0])]
    if state not in CERTIFIED:
        return []
    out = [(DecisionOutcome.GRANT, cert.cycle_start, GRANT_REASON)]
    if state == State.SUSPENDED:
        out.append((DecisionOutcome.SUSPEND, cert.suspended_on, REASONS["suspend_missed"][0]))
    elif state == State.WITHDRAWN:
        out.append((DecisionOutcome.WITHDRAW, plan.decided_on, REASONS["withdraw_request"][0]))
    return out


def _since_before_certification(plan: BulkPlan, today: datetime.date) -> datetime.date:
    """The day a certification not yet certified entered its state: the application's day
    when applied, the refusal's when refused, else halfway between the application and
    today (no random draw, so a seed gives the same clients as before)."""
    if plan.state == State.REFUSED:
        return plan.decided_on
    if plan.state == State.APPLIED:
        return plan.received
    return plan.received + (today - plan.received) // 2


def _moment_of_state(cert) -> datetime.datetime:
    """When the history row of a bulk certification is dated: mid-morning of the day it
    entered its state (not the moment the command ran)."""
    return timezone.make_aware(datetime.datetime.combine(cert.state_since, MORNING))


def bulk_returns_pks() -> bool:
    return connection.features.can_return_rows_from_bulk_insert
