"""The staff admin: buttons only for what the user may do, reasons for what is blocked,
services behind every button, clear messages instead of tracebacks."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates.models import State
from tests import lifecycle as lc

D = datetime.date
pytestmark = pytest.mark.django_db


def change_url(cert):
    return reverse("admin:certificates_certification_change", args=[cert.pk])


def transition_url(cert, name):
    return reverse("admin:certificates_certification_transition", args=[cert.pk, name])


def test_buttons_follow_permissions(client, people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    client.force_login(people.decider)
    page = client.get(change_url(cert)).content.decode()
    assert transition_url(cert, "suspend") in page
    assert transition_url(cert, "withdraw") in page
    client.force_login(people.staff)
    page = client.get(change_url(cert)).content.decode()
    assert transition_url(cert, "suspend") not in page
    assert "History" in page or "history" in page


def test_blocked_accept_lists_missing_documents(client, people):
    cert = lc.apply(people, complete=False)
    client.force_login(people.staff)
    client.post(transition_url(cert, "start_review"), {"on": "2024-09-02"})
    cert.refresh_from_db()
    assert cert.state == State.UNDER_REVIEW
    page = client.get(change_url(cert)).content.decode()
    assert "Missing document: Service catalogue and service plan" in page
    response = client.post(transition_url(cert, "accept"), {"on": "2024-09-03"})
    assert response.status_code == 200
    assert "Missing document: Confidentiality declaration" in response.content.decode()
    cert.refresh_from_db()
    assert cert.state == State.UNDER_REVIEW


def test_suspend_through_admin_records_reason(client, people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    client.force_login(people.decider)
    response = client.post(
        transition_url(cert, "suspend"),
        {"on": "2025-06-01", "reason": "Client refused surveillance", "revision": cert.revision},
    )
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED
    assert cert.suspension_deadline == D(2025, 12, 1)
    assert cert.decisions.filter(outcome="suspend", reason="Client refused surveillance").exists()


def test_stale_page_gets_conflict_message(client, people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    seen = cert.revision
    client.force_login(people.decider)
    client.post(
        transition_url(cert, "suspend"), {"on": "2025-06-01", "reason": "x", "revision": seen}
    )
    response = client.post(
        transition_url(cert, "withdraw"),
        {"on": "2025-06-01", "reason": "y", "ending": "withdrawn", "revision": seen},
    )
    assert response.status_code == 200
    assert "Someone else changed this certification" in response.content.decode()
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED


def test_user_without_permission_is_forbidden(client, people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    client.force_login(people.staff)
    response = client.post(transition_url(cert, "suspend"), {"on": "2025-06-01", "reason": "x"})
    assert response.status_code == 403
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE


@pytest.mark.parametrize(
    "name",
    [
        "certificates_certification",
        "audits_audit",
        "audits_finding",
        "clients_client",
        "clients_application",
        "certificates_certificate",
        "certificates_decision",
    ],
)
def test_changelists_render_for_staff(client, people, name):
    lc.certified(people, decided_on=D(2025, 1, 15))
    client.force_login(people.staff)
    response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200


def test_certification_list_filters(client, people, admin_user):
    today = timezone.localdate()
    overdue = lc.certified(people, decided_on=today - datetime.timedelta(days=400))
    fresh = lc.certified(people, decided_on=today - datetime.timedelta(days=30))
    client.force_login(admin_user)
    url = reverse("admin:certificates_certification_changelist")
    page = client.get(url, {"due": "surveillance_overdue"}).content.decode()
    # First surveillance is due 12 months after the decision.
    assert overdue.client.legal_name in page
    assert fresh.client.legal_name not in page
