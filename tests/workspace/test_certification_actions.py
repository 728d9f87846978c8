"""Taking a certification action in the workspace (workspace:certification_action): the small
form, the POST through the service (a StateLog row written), refusals by role (403 / 404,
nothing changed), a blocked action refused with its reason, and an action the state does not
allow sent back to the page with the reason."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django_fsm_log.models import StateLog

from certificates.models import Certification, State
from tests.lifecycle import build

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date


def url(cert, name):
    return reverse("workspace:certification_action", args=[cert.pk, name])


def logs(cert) -> int:
    kind = ContentType.objects.get_for_model(Certification)
    return StateLog.objects.filter(content_type=kind, object_id=cert.pk).count()


def snapshot(cert):
    cert.refresh_from_db()
    return (cert.state, cert.revision, logs(cert))


def test_the_form_is_shown_with_the_date_and_the_revision(people):
    cert = build(people, State.ACTIVE)
    response = signed_in(people.decider).get(url(cert, "suspend"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="on"' in html and 'name="reason"' in html and 'name="revision"' in html
    assert 'name="at_client_request"' in html


def test_the_form_comes_as_a_fragment_for_htmx(people):
    cert = build(people, State.ACTIVE)
    response = signed_in(people.decider).get(url(cert, "suspend"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'name="reason"' in html


def test_decider_suspends_and_a_state_log_is_written(people):
    cert = build(people, State.ACTIVE)
    before = logs(cert)
    client = signed_in(people.decider)
    response = client.post(
        url(cert, "suspend"),
        {"on": "2025-06-01", "reason": "Surveillance refused", "revision": cert.revision},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:certification", args=[cert.pk])
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED
    assert logs(cert) == before + 1
    follow = client.get(response["Location"])
    assert "Done: Suspend." in follow.content.decode()


def test_htmx_post_redirects_by_header(people):
    cert = build(people, State.ACTIVE)
    response = signed_in(people.decider).post(
        url(cert, "suspend"),
        {"on": "2025-06-01", "reason": "Asked", "revision": cert.revision},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("workspace:certification", args=[cert.pk])


def test_staff_starts_the_review_and_plans_stage_1(people):
    cert = build(people, State.APPLIED)
    staff = signed_in(people.staff)
    response = staff.post(url(cert, "start_review"), {"on": "2024-09-05", "revision": 0})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.state == State.UNDER_REVIEW
    cert = build(people, State.ACCEPTED)
    response = staff.post(
        url(cert, "begin_stage1"),
        {
            "on": "2024-09-17",
            "revision": cert.revision,
            "planned_start": "2024-10-01",
            "planned_end": "2024-10-02",
            "team_leader": people.auditor.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    cert.refresh_from_db()
    assert cert.state == State.STAGE1
    assert cert.audits.get().team_leader == people.auditor


@pytest.mark.parametrize("who", ["staff", "auditor"])
def test_grant_refused_to_staff_and_auditors_nothing_changes(people, who):
    cert = build(people, State.DECISION_PENDING)
    before = snapshot(cert)
    client = signed_in(getattr(people, who))
    response = client.post(
        url(cert, "grant"), {"on": "2025-01-15", "reason": "", "revision": cert.revision}
    )
    assert response.status_code == 403
    assert client.get(url(cert, "grant")).status_code == 403
    assert snapshot(cert) == before


def test_other_auditor_gets_404_and_anonymous_the_login(people):
    cert = build(people, State.STAGE1)
    before = snapshot(cert)
    data = {"on": "2024-10-05", "revision": cert.revision}
    assert (
        signed_in(people.auditor2).post(url(cert, "submit_for_decision"), data).status_code == 404
    )
    response = Client().post(url(cert, "repeat_stage1"), data)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert snapshot(cert) == before


def test_decider_may_not_plan_a_stage(people):
    cert = build(people, State.ACCEPTED)
    before = snapshot(cert)
    response = signed_in(people.decider).post(url(cert, "begin_stage1"), {"on": "2024-09-17"})
    assert response.status_code == 403
    assert snapshot(cert) == before


def test_a_blocked_action_is_refused_with_its_reason(people):
    cert = build(people, State.ACTIVE)  # expires 2028-01-14: not yet
    before = snapshot(cert)
    client = signed_in(people.staff)
    form = client.get(url(cert, "expire"))
    assert form.status_code == 200
    reason_shown = form.content.decode()
    assert "These rules must hold before this can be done:" in reason_shown
    response = client.post(url(cert, "expire"), {"on": "2026-12-01", "revision": cert.revision})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was changed:" in html
    assert "2028-01-14" in html  # the expiry date the rule names
    assert snapshot(cert) == before


def test_a_reason_is_required_by_the_form(people):
    cert = build(people, State.ACTIVE)
    before = snapshot(cert)
    response = signed_in(people.decider).post(
        url(cert, "withdraw"), {"on": "2025-06-01", "reason": "", "revision": cert.revision}
    )
    assert response.status_code == 200
    assert snapshot(cert) == before


def test_an_action_the_state_does_not_allow_goes_back_with_the_reason(people):
    cert = build(people, State.APPLIED)
    before = snapshot(cert)
    client = signed_in(people.decider)
    response = client.post(url(cert, "grant"), {"on": "2024-09-05", "revision": cert.revision})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "is not possible while this is" in page
    assert snapshot(cert) == before
    assert client.post(url(cert, "no_such_thing"), {}).status_code == 302
    assert client.get(url(cert, "delete")).status_code == 302  # a method, not a transition


def test_a_stale_page_conflicts(people):
    cert = build(people, State.ACTIVE)
    stale = cert.revision - 1
    before = snapshot(cert)
    response = signed_in(people.decider).post(
        url(cert, "suspend"), {"on": "2025-06-01", "reason": "x", "revision": stale}
    )
    assert response.status_code == 200
    assert "Someone else changed this certification" in response.content.decode()
    assert snapshot(cert) == before


def test_next_keeps_to_this_site(people):
    cert = build(people, State.ACTIVE)
    response = signed_in(people.decider).post(
        url(cert, "suspend"),
        {
            "on": "2025-06-01",
            "reason": "x",
            "revision": cert.revision,
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("workspace:certification", args=[cert.pk])
