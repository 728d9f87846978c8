"""The decision page (workspace:decision): the audits decided on with team, recommendation,
findings and audit time; the conflicts of interest checked; grant / refuse right there, only
for decision makers; a blocked grant shows and refuses with its reasons."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from audits.models import RelationshipDeclaration, RelationshipKind
from certificates.models import Certificate, State
from tests.audits.factories import all_standards_auditor
from tests.lifecycle import build, pending, resolve

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date


def url(cert):
    return reverse("workspace:decision", args=[cert.pk])


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def recent(people, findings=()):
    """Decision pending after a stage 2 on 2026-11-16..18 (within the 6 months majors have)."""
    return pending(
        people, stage1_start=D(2026, 10, 1), stage2_start=D(2026, 11, 16), findings=findings
    )


def test_summary_of_a_pending_decision(people):
    cert, _audit, _findings = recent(people, findings=["major", "minor", "observation"])
    body = text(signed_in(people.decider).get(url(cert)))
    assert "Stage 2" in body
    assert "Recommend certification" in body  # translated label, not "Recommendation: recommend"
    assert "recommend " not in body.lower().replace("recommend certification", "")
    for grade in ("Major nonconformity", "Minor nonconformity", "Observation"):
        assert grade in body
    # The team (person names) and the audit time.
    assert "Team leader" in body
    assert "planned" in body and "delivered" in body
    # Conflicts of interest checked for the decision maker.
    assert "was not on the team of any audit decided" in body
    assert "has no consultancy or employment" in body
    # Grant blocked: the findings.
    assert "1 major nonconformity is not verified." in body
    assert "1 minor nonconformity has no accepted plan." in body


def test_grant_from_the_decision_page_issues_the_certificate(people):
    cert, _audit, findings = pending(people, findings=["minor"])
    resolve(findings, people, D(2024, 12, 30))
    client = signed_in(people.decider)
    page = client.get(url(cert))
    assert 'name="action" value="grant"' in page.content.decode()
    response = client.post(
        url(cert), {"action": "grant", "on": "2025-01-15", "reason": "", "revision": cert.revision}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:certification", args=[cert.pk])
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert Certificate.objects.filter(certification=cert).count() == 1
    follow = client.get(response["Location"]).content.decode()
    assert "Done: Grant certification." in follow


def test_a_blocked_grant_is_refused_with_its_reasons(people):
    cert, _audit, _findings = recent(people, findings=["major"])
    client = signed_in(people.decider)
    response = client.post(
        url(cert), {"action": "grant", "on": "2026-12-01", "reason": "", "revision": cert.revision}
    )
    assert response.status_code == 200
    body = text(response)
    assert "Nothing was changed:" in body
    assert "1 major nonconformity is not verified." in body
    cert.refresh_from_db()
    assert cert.state == State.DECISION_PENDING


def test_refuse_needs_a_reason_and_then_refuses(people):
    cert, _, _ = pending(people)
    client = signed_in(people.decider)
    data = {"action": "refuse", "on": "2025-01-15", "revision": cert.revision}
    assert client.post(url(cert), {**data, "reason": ""}).status_code == 200
    cert.refresh_from_db()
    assert cert.state == State.DECISION_PENDING
    assert client.post(url(cert), {**data, "reason": "Not effective"}).status_code == 302
    cert.refresh_from_db()
    assert cert.state == State.REFUSED


def test_staff_reads_the_summary_without_forms_and_may_not_decide(people):
    cert, _, _ = pending(people)
    client = signed_in(people.staff)
    page = client.get(url(cert))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="action"' not in html
    assert "Only a decision maker can take this decision." in html
    response = client.post(
        url(cert), {"action": "grant", "on": "2025-01-15", "revision": cert.revision}
    )
    assert response.status_code == 403
    cert.refresh_from_db()
    assert cert.state == State.DECISION_PENDING


def test_auditors_and_anonymous_are_kept_out(people):
    cert, _, _ = pending(people)
    assert signed_in(people.auditor).get(url(cert)).status_code == 403
    assert signed_in(all_standards_auditor("outsider")).get(url(cert)).status_code == 403
    response = Client().get(url(cert))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert signed_in(people.auditor).post(url(cert), {"action": "grant"}).status_code == 403
    cert.refresh_from_db()
    assert cert.state == State.DECISION_PENDING


def test_a_decider_on_the_audit_team_is_told_and_blocked(people):
    cert, _audit, _ = pending(people)
    # The decision maker on the stage 2 team: make the team's auditor also a decision maker.
    people.auditor.groups.add(Group.objects.get(name="Decision maker"))
    body = text(signed_in(people.auditor).get(url(cert)))
    assert "was on the team of an audit being decided" in body
    assert "another decision maker must decide" in body.lower()


def test_declared_relationships_are_shown_and_bar(people):
    cert, _, _ = pending(people)
    profile = all_standards_auditor("consultant").auditor_profile
    profile.user.groups.add(Group.objects.get(name="Decision maker"))
    RelationshipDeclaration.objects.create(
        profile=profile,
        client=cert.client,
        kind=RelationshipKind.CONSULTANCY,
        started_on=D(2024, 1, 1),
        declared_on=D(2024, 1, 1),
    )
    body = text(signed_in(profile.user).get(url(cert)))
    assert "Relationships declared with this client" in body
    assert "may not take a certification decision" in body


@pytest.mark.parametrize("state", list(State))
def test_every_state_renders_for_staff_and_decider(people, state):
    cert = build(people, state)
    for user in (people.staff, people.decider):
        response = signed_in(user).get(url(cert))
        assert response.status_code == 200, (state, user)
    if state == State.ACTIVE:
        body = text(signed_in(people.decider).get(url(cert)))
        assert "No decision is awaited" in body and "Grant" in body


def test_queries_do_not_grow_with_the_findings(people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(cert):
        client = signed_in(people.decider)
        client.get(url(cert))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(cert)).status_code == 200
        return len(ctx.captured_queries)

    few, _, _ = recent(people)
    many, _, _ = pending(
        people,
        stage1_start=D(2026, 8, 3),
        stage2_start=D(2026, 9, 7),
        findings=["major", "minor", "minor", "observation"],
    )
    assert count(many) <= count(few)
