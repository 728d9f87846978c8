"""The certification page (workspace:certification): facts, timeline in local time, the
actions allowed now as buttons and the blocked ones with their reasons, as every role and
in every state (tests/lifecycle.py walks certifications there through the services)."""

import datetime
import re

import pytest
from django.urls import reverse

from certificates.models import State
from tests.audits.factories import all_standards_auditor
from tests.lifecycle import build

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def page(client, cert):
    return client.get(reverse("workspace:certification", args=[cert.pk]))


def text(response) -> str:
    """The visible text of the page, tags dropped and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def buttons(response) -> dict[str, bool]:
    """Action label -> enabled, from the page's action area."""
    html = response.content.decode()
    area = html[html.index('id="actions"') : html.index('id="action-form"')]
    enabled = {
        m.strip(): True for m in re.findall(r'<a class="button[^"]*"[^>]*>([^<]+)</a>', area)
    }
    # One-click actions (the date is all they need): a small form with its submit button.
    enabled |= {
        m.strip(): True for m in re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', area)
    }
    disabled = {
        m.strip(): False
        for m in re.findall(r"<button type=\"button\" disabled[^>]*>([^<]+)</button>", area)
    }
    return {**enabled, **disabled}


# Before stage 1 no audit has a team: no auditor may see the certification.
BEFORE_AUDITS = {State.APPLIED, State.UNDER_REVIEW, State.REJECTED, State.ACCEPTED}


@pytest.mark.parametrize("state", list(State))
def test_every_state_as_staff_decider_and_team_auditor(people, state):
    cert = build(people, state)
    for user in (people.staff, people.decider, people.auditor):
        response = page(signed_in(user), cert)
        if user == people.auditor and state in BEFORE_AUDITS:
            assert response.status_code == 404
            continue
        assert response.status_code == 200, (state, user)
        body = text(response)
        assert cert.client.legal_name in body
        assert cert.get_state_display() in body


def test_an_auditor_not_on_any_audit_gets_404_and_anonymous_the_login(people, auditor2):
    cert = build(people, State.STAGE1)  # stage 1's team: auditor only
    assert page(signed_in(people.auditor2), cert).status_code == 404
    from django.test import Client

    response = page(Client(), cert)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_facts_and_timeline_of_an_active_certification(people):
    cert = build(people, State.ACTIVE)
    body = text(page(signed_in(people.staff), cert))
    for fact in (
        cert.certificate_number,
        cert.expiry_date.isoformat(),
        cert.next_surveillance_due.isoformat(),
        "Application received",
        "Stage 1",
        "Stage 2",
        "Decision: Grant",
        "Certificate " + cert.certificates.get().full_number + " issued",
        "Audit report: Recommend certification",
    ):
        assert fact in body, fact
    # Recorded moments in local time without microseconds or "+00:00".
    assert "+00:00" not in body
    assert not re.search(r"\d\d:\d\d:\d\d\.\d+", body)


def test_pdf_link_downloads_the_certificate(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cert = build(people, State.ACTIVE)
    version = cert.certificates.get()
    url = reverse("workspace:certificate_pdf", args=[version.pk])
    response = page(signed_in(people.staff), cert)
    assert url in response.content.decode()
    download = signed_in(people.staff).get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert signed_in(all_standards_auditor("outsider")).get(url).status_code == 404


def open_form(response) -> str | None:
    """The title of the action form shown open below the buttons, if any."""
    html = response.content.decode()
    area = html[html.index('id="action-form"') :]
    found = re.search(r'<h2 id="action-title">([^<]+)</h2>', area)
    return found.group(1).strip() if found else None


def test_staff_sees_the_stage_actions_and_no_decisions(people):
    cert = build(people, State.ACCEPTED)
    response = page(signed_in(people.staff), cert)
    # Planning stage 1 is the next step: its form is shown open, no button to open it.
    assert buttons(response) == {}
    assert open_form(response) == "Plan stage 1"
    assert open_form(page(signed_in(people.decider), cert)) is None
    assert buttons(page(signed_in(people.decider), cert)) == {}
    assert page(signed_in(people.auditor), cert).status_code == 404


@pytest.mark.parametrize("state", [State.STAGE1, State.DECISION_PENDING, State.ACTIVE])
def test_the_team_auditor_gets_no_buttons(people, state):
    cert = build(people, state)
    response = page(signed_in(people.auditor), cert)
    assert buttons(response) == {}
    assert "Nothing for you to do on this certification now." in text(response)


def test_decider_sees_grant_and_refuse_when_pending(people):
    cert = build(people, State.DECISION_PENDING)
    shown = buttons(page(signed_in(people.decider), cert))
    assert shown["Grant certification"] is True
    assert shown["Refuse certification"] is True
    staff = buttons(page(signed_in(people.staff), cert))
    assert "Grant certification" not in staff and "Refuse certification" not in staff


def test_a_blocked_action_is_shown_disabled_with_its_reasons(people):
    cert = build(people, State.ACTIVE)  # expiry 2028-01-14: "Expire" blocked today
    response = page(signed_in(people.staff), cert)
    assert buttons(response).get("Expire") is False
    html = response.content.decode()
    block = html[html.index('aria-describedby="why-expire"') :]
    assert "<li>" in block[: block.index("</ul>")]


def count_queries(client, cert) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert page(client, cert).status_code == 200
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_history(people):
    from tests.lifecycle import surveillance

    cert = build(people, State.ACTIVE)
    client = signed_in(people.staff)
    page(client, cert)
    few = count_queries(client, cert)
    surveillance(cert, people, start=datetime.date(2025, 11, 3))
    surveillance(cert, people, start=datetime.date(2026, 10, 5))
    cert.refresh_from_db()
    assert count_queries(client, cert) <= few
    assert few <= 30


def test_chinese_pages_render(people):
    cert = build(people, State.DECISION_PENDING)
    client = signed_in(people.decider)
    paths = [reverse(n, args=[cert.pk]) for n in ("workspace:certification", "workspace:decision")]
    for path in paths:
        response = client.get("/zh-hans" + path)
        assert response.status_code == 200, path
        assert 'lang="zh-hans"' in response.content.decode()
