"""Scope extension (issue 15, item 3; shared/domain.md): an application (services, sites added),
its review, a special audit or a recorded justification that none is needed, then the decision
issuing the new certificate version. Concrete dates throughout.

The certification: granted 2025-01-15 (expiry 2028-01-14), scope "IT operation services".
"""

import datetime

import pytest
from django_fsm_log.models import StateLog

from audits import services as audit_svc
from audits.models import Recommendation
from certificates import services as svc
from certificates.models import (
    MSG_EXTENSION_NOT_GRANTED,
    CertificateStatus,
    Certification,
    ExtensionState,
)
from certificates.services import CertificationError
from clients.models import Site
from tests import lifecycle as lc
from tests.factories import ClientFactory, dual_role_user

pytestmark = pytest.mark.django_db
D = datetime.date
SCOPE = "信息技术运维服务 / IT operation and maintenance services"
WIDER = SCOPE + "; 云平台运营 / cloud platform operations"


@pytest.fixture
def cert(people):
    return lc.certified(people, decided_on=D(2025, 1, 15), scope=SCOPE)


@pytest.fixture
def new_site(cert):
    return Site.objects.create(
        client=cert.client, name="Data centre Pudong", city="Shanghai", address="1 Cloud Road"
    )


def applied(cert, people, *, sites=(), received_on=D(2025, 3, 3)):
    return svc.scope_extension_apply(
        certification=cert,
        received_on=received_on,
        services="云平台运营 / cloud platform operations",
        scope=WIDER,
        sites=sites,
        by=people.staff,
    )


def history(obj):
    return list(
        StateLog.objects.for_(obj)
        .order_by("pk")
        .values_list("source_state", "state", "transition", "by__username", "description")
    )


def audited(ext, people, *, start=D(2025, 3, 20), leader=None):
    """Plan the special audit on 2025-03-10 for ``start`` and run it (closed on ``start``)."""
    ext, audit = svc.scope_extension_plan_audit(
        extension=ext,
        planned_start=start,
        planned_end=start,
        team_leader=leader or people.auditor,
        by=people.staff,
        on=D(2025, 3, 10),
    )
    assert audit.kind == "special"
    return ext, audit


def test_path_with_a_special_audit(cert, people, new_site):
    ext = applied(cert, people, sites=[new_site])
    ext = svc.scope_extension_review(
        extension=ext, audit_needed=True, by=people.staff, on=D(2025, 3, 5)
    )
    assert ext.state == ExtensionState.REVIEWED and ext.audit_needed
    ext, audit = audited(ext, people)
    assert ext.state == ExtensionState.AUDIT_PLANNED and ext.audit == audit

    # Refused while the special audit is not closed.
    with pytest.raises(CertificationError) as err:
        svc.scope_extension_grant(extension=ext, reason="ok", by=people.decider, on=D(2025, 3, 25))
    assert err.value.messages == [
        "The special audit for this extension is not closed yet (it is “Planned”): the "
        "decision waits for its closure."
    ]

    audit, _ = lc.run_audit(
        audit,
        people,
        start=D(2025, 3, 20),
        end=D(2025, 3, 20),
        recommendation=Recommendation.CONTINUE,
    )
    # Not dated before the audit closed.
    with pytest.raises(CertificationError) as err:
        svc.scope_extension_grant(extension=ext, reason="ok", by=people.decider, on=D(2025, 3, 19))
    assert err.value.messages == [
        "The audit decided on was closed on 2025-03-20: the decision cannot be dated "
        "2025-03-19, before that."
    ]

    v2 = svc.scope_extension_grant(
        extension=ext, reason="Special audit confirmed", by=people.decider, on=D(2025, 3, 25)
    )
    cert.refresh_from_db()
    ext.refresh_from_db()
    audit.refresh_from_db()
    assert cert.state == "active" and cert.scope == WIDER
    assert (v2.version, v2.scope, v2.effective_date, v2.expiry_date) == (
        2,
        WIDER,
        D(2025, 3, 25),
        D(2028, 1, 14),
    )
    assert v2.original_certification_date == D(2025, 1, 15)
    assert "Data centre Pudong" in [s["name"] for s in v2.holder["sites"]]
    v1 = cert.certificates.get(version=1)
    assert v1.status == CertificateStatus.SUPERSEDED and v1.scope == SCOPE
    assert ext.state == ExtensionState.GRANTED and ext.decided_on == D(2025, 3, 25)
    assert ext.decision.outcome == "extend_scope" and audit.decision == ext.decision
    assert [row[:4] for row in history(ext)] == [
        ("applied", "reviewed", "review", "staff"),
        ("reviewed", "audit_planned", "plan_audit", "staff"),
        ("audit_planned", "granted", "grant", "decider"),
    ]
    assert history(cert)[-1] == (
        "active",
        "active",
        "extend_scope",
        "decider",
        "Special audit confirmed",
    )


def test_path_with_a_justification(cert, people):
    ext = applied(cert, people)
    ext = svc.scope_extension_review(
        extension=ext,
        audit_needed=False,
        justification="Verified at surveillance 1 on 2025-03-01",
        by=people.staff,
        on=D(2025, 3, 5),
    )
    assert ext.no_audit_justification == "Verified at surveillance 1 on 2025-03-01"
    v2 = svc.scope_extension_grant(
        extension=ext, reason="Justified", by=people.decider, on=D(2025, 3, 6)
    )
    assert (v2.version, v2.scope, v2.effective_date, v2.expiry_date) == (
        2,
        WIDER,
        D(2025, 3, 6),
        D(2028, 1, 14),
    )
    assert history(ext) == [
        (
            "applied",
            "reviewed",
            "review",
            "staff",
            "No audit needed: Verified at surveillance 1 on 2025-03-01",
        ),
        ("reviewed", "granted", "grant", "decider", "Justified"),
    ]


def test_a_review_without_audit_needs_a_justification(cert, people):
    ext = applied(cert, people)
    with pytest.raises(CertificationError) as err:
        svc.scope_extension_review(
            extension=ext, audit_needed=False, justification=" ", by=people.staff, on=D(2025, 3, 5)
        )
    assert err.value.messages == [
        "The review found no audit needed: record why (e.g. the added services were already "
        "verified at the surveillance audit)."
    ]
    ext.refresh_from_db()
    assert ext.state == ExtensionState.APPLIED and history(ext) == []


def test_no_decision_before_the_review(cert, people):
    ext = applied(cert, people)
    with pytest.raises(CertificationError) as err:
        svc.scope_extension_grant(extension=ext, reason="r", by=people.decider, on=D(2025, 3, 6))
    assert err.value.messages == [
        "“Grant the extension” is not possible while scope extension is “Applied”."
    ]
    cert.refresh_from_db()
    assert cert.scope == SCOPE and cert.certificates.count() == 1


def test_the_review_asked_for_an_audit_not_planned_yet(cert, people):
    ext = applied(cert, people)
    ext = svc.scope_extension_review(
        extension=ext, audit_needed=True, by=people.staff, on=D(2025, 3, 5)
    )
    with pytest.raises(CertificationError) as err:
        svc.scope_extension_grant(extension=ext, reason="r", by=people.decider, on=D(2025, 3, 6))
    assert err.value.messages == [
        "The review asked for a special audit: plan it, and close it, before the decision."
    ]


def test_a_decision_maker_on_the_special_audit_team_is_refused(cert, people):
    dual = dual_role_user()
    ext = applied(cert, people)
    ext = svc.scope_extension_review(
        extension=ext, audit_needed=True, by=people.staff, on=D(2025, 3, 5)
    )
    ext, audit = audited(ext, people, leader=dual)
    lc.run_audit(audit, people, start=D(2025, 3, 20), end=D(2025, 3, 20), recommendation="continue")
    with pytest.raises(CertificationError) as err:
        svc.scope_extension_grant(extension=ext, reason="r", by=dual, on=D(2025, 3, 25))
    assert err.value.messages == [
        "You were on the team of an audit being decided; another decision maker must decide."
    ]
    with pytest.raises(CertificationError):
        svc.scope_extension_refuse(extension=ext, reason="r", by=dual, on=D(2025, 3, 25))
    # Another decision maker may.
    svc.scope_extension_grant(extension=ext, reason="r", by=people.decider, on=D(2025, 3, 25))


def test_refusal_changes_nothing(cert, people):
    ext = applied(cert, people)
    ext = svc.scope_extension_review(
        extension=ext, audit_needed=False, justification="why", by=people.staff, on=D(2025, 3, 5)
    )
    ext = svc.scope_extension_refuse(
        extension=ext, reason="Outside our accreditation", by=people.decider, on=D(2025, 3, 6)
    )
    cert.refresh_from_db()
    assert ext.state == ExtensionState.REFUSED and ext.decided_by == people.decider
    assert cert.scope == SCOPE and cert.certificates.count() == 1
    assert history(ext)[-1] == (
        "reviewed",
        "refused",
        "refuse",
        "decider",
        "Outside our accreditation",
    )


def test_extend_scope_only_through_a_granted_extension(cert, people):
    """The certification's transition alone (a reason, a scope) is refused."""
    locked = Certification.objects.get(pk=cert.pk)
    locked.rule_context(on=D(2025, 3, 6), by=people.decider, reason="r", scope=WIDER)
    assert str(MSG_EXTENSION_NOT_GRANTED) in locked.blockers("extend_scope")
    assert str(MSG_EXTENSION_NOT_GRANTED) == (
        "A scope extension needs a reviewed extension application (and its audit, where the "
        "review asked for one)."
    )


def test_sites_must_be_the_clients_own(cert, people):
    elsewhere = Site.objects.create(
        client=ClientFactory(), name="Other", city="Beijing", address="2 Road"
    )
    with pytest.raises(CertificationError) as err:
        applied(cert, people, sites=[elsewhere])
    assert err.value.messages == [f"The site Other (Beijing) is not a site of {cert.client}."]


def test_an_extension_is_applied_for_on_an_active_certification(cert, people):
    svc.certification_suspend(certification=cert, reason="r", by=people.decider, on=D(2025, 2, 1))
    cert.refresh_from_db()
    with pytest.raises(CertificationError) as err:
        applied(cert, people)
    assert err.value.messages == [
        "The certification is “Suspended”: a scope extension is applied for on an active "
        "certification."
    ]


def test_the_special_audit_is_planned_through_the_audit_services(cert, people):
    ext = applied(cert, people)
    ext = svc.scope_extension_review(
        extension=ext,
        audit_needed=False,
        justification="Verified",
        by=people.staff,
        on=D(2025, 3, 5),
    )
    with pytest.raises(CertificationError) as err:
        audited(ext, people)
    assert err.value.messages == [
        "The review found no audit needed for this extension: there is no special audit to plan."
    ]
    assert not cert.audits.filter(kind="special").exists()
    assert audit_svc  # planned audits go through audit_create (team and audit-time rules)
