"""Scope extensions in the workspace (workspace:scope_extension_new, scope_extension,
scope_extension_action, scope_extensions): every page as every role with extensions in every
state, each POST allowed or refused (nothing changed when refused), sites of the client only,
the blocked actions with their reasons, the list (open first, paging, CSV/XLSX) and the link
from the certification page.

The certification: granted 2025-01-15 (expiry 2028-01-14) by the lifecycle helpers; the
auditor led its stage 1 and stage 2 (auditor2 was a member); ``outsider`` audits nothing of it.
"""

import csv
import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog

from certificates import services as svc
from certificates.models import ExtensionState, ScopeExtension
from clients.models import Site
from core.dates import local_today
from tests import lifecycle as lc
from tests.audits.factories import all_standards_auditor
from tests.factories import ClientFactory

from .conftest import signed_in

pytestmark = pytest.mark.django_db
D = datetime.date
SCOPE = "信息技术运维服务 / IT operation and maintenance services"
ADDED = "云平台运营 / cloud platform operations"
WIDER = SCOPE + "; " + ADDED


@pytest.fixture
def cert(people):
    return lc.certified(people, decided_on=D(2025, 1, 15), scope=SCOPE)


@pytest.fixture
def outsider(db):
    return all_standards_auditor("outsider")


@pytest.fixture
def site(cert):
    return Site.objects.create(
        client=cert.client, name="Data centre Pudong", city="Shanghai", address="1 Cloud Road"
    )


def applied(cert, people, *, services=ADDED, received_on=D(2026, 11, 2), sites=()):
    cert.refresh_from_db()  # each application bumps the certification's revision
    return svc.scope_extension_apply(
        certification=cert,
        received_on=received_on,
        services=services,
        scope=WIDER,
        sites=sites,
        by=people.staff,
    )


def reviewed(cert, people, *, audit_needed=False, **kwargs):
    ext = applied(cert, people, **kwargs)
    return svc.scope_extension_review(
        extension=ext,
        audit_needed=audit_needed,
        justification="" if audit_needed else "Verified at surveillance 1",
        by=people.staff,
        on=D(2026, 11, 3),
    )


def planned(cert, people, **kwargs):
    ext = reviewed(cert, people, audit_needed=True, **kwargs)
    ext, _ = svc.scope_extension_plan_audit(
        extension=ext,
        planned_start=D(2027, 1, 11),
        planned_end=D(2027, 1, 11),
        team_leader=people.auditor,
        by=people.staff,
        on=D(2026, 11, 4),
    )
    return ext


def granted(cert, people, **kwargs):
    ext = reviewed(cert, people, **kwargs)
    svc.scope_extension_grant(
        extension=ext, reason="Justified", by=people.decider, on=D(2026, 11, 5)
    )
    ext.refresh_from_db()
    return ext


def refused(cert, people, **kwargs):
    ext = reviewed(cert, people, **kwargs)
    return svc.scope_extension_refuse(
        extension=ext, reason="Outside our accreditation", by=people.decider, on=D(2026, 11, 5)
    )


BUILDERS = {
    "applied": applied,
    "reviewed": reviewed,
    "audit_planned": planned,
    "granted": granted,
    "refused": refused,
}


def page(ext):
    return reverse("workspace:scope_extension", args=[ext.pk])


def action(ext, name):
    return reverse("workspace:scope_extension_action", args=[ext.pk, name])


def new_url(cert):
    return reverse("workspace:scope_extension_new", args=[cert.pk])


def snapshot(ext):
    ext = ScopeExtension.objects.get(pk=ext.pk)
    return (ext.state, ext.revision, StateLog.objects.for_(ext).count())


# -- the extension's page, every state, every role ---------------------------------------------


@pytest.mark.parametrize("state", list(BUILDERS))
def test_the_page_as_every_role(state, cert, people, outsider, site):
    ext = BUILDERS[state](cert, people, sites=[site])
    assert ext.state == state
    for user in (people.staff, people.decider, people.auditor):
        response = signed_in(user).get(page(ext))
        assert response.status_code == 200, (state, user)
        html = response.content.decode()
        assert ADDED in html and "Data centre Pudong" in html
        assert cert.client.legal_name in html
    assert signed_in(outsider).get(page(ext)).status_code == 404
    anonymous = Client().get(page(ext))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_staff_see_the_review_button_and_deciders_see_it_as_someone_elses(cert, people):
    ext = applied(cert, people)
    staff_html = signed_in(people.staff).get(page(ext)).content.decode()
    assert action(ext, "review") in staff_html and "Review the extension" in staff_html
    decider_html = signed_in(people.decider).get(page(ext)).content.decode()
    assert action(ext, "review") not in decider_html
    assert "Next, by someone else:" in decider_html and "Review the extension" in decider_html


def test_the_auditor_reads_only(cert, people):
    ext = reviewed(cert, people)
    html = signed_in(people.auditor).get(page(ext)).content.decode()
    assert "/do/" not in html
    assert "Nothing for you to do on this extension now." in html
    assert "Verified at surveillance 1" in html


def test_the_decider_sees_grant_and_refuse_as_buttons_once_reviewed(cert, people):
    ext = reviewed(cert, people)
    html = signed_in(people.decider).get(page(ext)).content.decode()
    assert action(ext, "grant") in html and action(ext, "refuse") in html


def test_a_blocked_grant_shows_its_reason(cert, people):
    ext = planned(cert, people)
    html = signed_in(people.decider).get(page(ext)).content.decode()
    assert action(ext, "grant") not in html
    assert "The special audit for this extension is not closed yet" in html


def test_the_history_is_in_local_time_with_names(cert, people):
    ext = granted(cert, people)
    html = signed_in(people.staff).get(page(ext)).content.decode()
    assert "Review the extension" in html and "Grant the extension" in html
    assert "No audit needed: Verified at surveillance 1" in html
    assert "+00:00" not in html


def test_the_page_in_chinese(cert, people):
    ext = applied(cert, people)
    html = signed_in(people.staff).get("/zh-hans" + page(ext)).content.decode()
    assert "扩大" in html or "扩展" in html


# -- apply from the certification page --------------------------------------------------------


def test_the_certification_page_links_to_its_extensions(cert, people):
    ext = applied(cert, people)
    cert_url = reverse("workspace:certification", args=[cert.pk])
    staff_html = signed_in(people.staff).get(cert_url).content.decode()
    assert page(ext) in staff_html and new_url(cert) in staff_html
    decider_html = signed_in(people.decider).get(cert_url).content.decode()
    assert page(ext) in decider_html and new_url(cert) not in decider_html
    auditor_html = signed_in(people.auditor).get(cert_url).content.decode()
    assert page(ext) in auditor_html and new_url(cert) not in auditor_html


def test_staff_apply_with_the_clients_sites_only(cert, people, site):
    other = Site.objects.create(client=ClientFactory(), name="Elsewhere", city="Xi'an", address="9")
    client = signed_in(people.staff)
    form = client.get(new_url(cert)).content.decode()
    assert "Data centre Pudong" in form and "Elsewhere" not in form
    assert SCOPE in form  # the scope now, to widen
    # Another client's site posted: refused by the form, nothing recorded.
    data = {"received_on": "2026-11-02", "services": ADDED, "scope": WIDER, "sites": [other.pk]}
    response = client.post(new_url(cert), data)
    assert response.status_code == 200 and not ScopeExtension.objects.exists()
    data["sites"] = [site.pk]
    response = client.post(new_url(cert), data)
    ext = ScopeExtension.objects.get()
    assert response.status_code == 302 and response["Location"] == page(ext)
    assert (ext.state, ext.services, ext.scope, ext.received_on) == (
        ExtensionState.APPLIED,
        ADDED,
        WIDER,
        D(2026, 11, 2),
    )
    assert list(ext.sites.all()) == [site]


def test_apply_refusals_change_nothing(cert, people, outsider):
    data = {"received_on": "2026-11-02", "services": ADDED, "scope": WIDER}
    assert signed_in(people.decider).post(new_url(cert), data).status_code == 403
    assert signed_in(people.auditor).post(new_url(cert), data).status_code == 403
    assert signed_in(outsider).post(new_url(cert), data).status_code == 403
    anonymous = Client().post(new_url(cert), data)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    # Received in the future: the form says so.
    future = (local_today() + datetime.timedelta(days=3)).isoformat()
    response = signed_in(people.staff).post(new_url(cert), {**data, "received_on": future})
    assert response.status_code == 200
    # Nothing added: the service's words.
    response = signed_in(people.staff).post(new_url(cert), {**data, "services": "  "})
    assert response.status_code == 200
    assert not ScopeExtension.objects.exists()


def test_apply_on_a_suspended_certification_is_refused_with_the_reason(cert, people):
    svc.certification_suspend(certification=cert, reason="r", by=people.decider, on=D(2025, 6, 1))
    client = signed_in(people.staff)
    html = client.get(new_url(cert)).content.decode()
    assert "a scope extension is applied for on an active certification" in html
    data = {"received_on": "2026-11-02", "services": ADDED, "scope": WIDER}
    response = client.post(new_url(cert), data)
    assert response.status_code == 200
    assert "Nothing was recorded" in response.content.decode()
    assert not ScopeExtension.objects.exists()


def test_apply_for_a_certification_the_user_may_not_see_is_404(cert, people):
    assert (
        signed_in(people.staff)
        .get(reverse("workspace:scope_extension_new", args=[99999]))
        .status_code
        == 404
    )


# -- the actions, each through its service --------------------------------------------------


def test_staff_review_with_a_justification(cert, people):
    ext = applied(cert, people)
    client = signed_in(people.staff)
    form = client.get(action(ext, "review")).content.decode()
    assert 'name="audit_needed"' in form and 'name="justification"' in form
    # No justification for "no audit": the rule's words, nothing changed.
    before = snapshot(ext)
    data = {"on": local_today().isoformat(), "revision": ext.revision, "audit_needed": "no"}
    response = client.post(action(ext, "review"), data)
    assert response.status_code == 200
    assert "record why" in response.content.decode()
    assert snapshot(ext) == before
    response = client.post(action(ext, "review"), {**data, "justification": "Seen at S1"})
    assert response.status_code == 302 and response["Location"] == page(ext)
    ext.refresh_from_db()
    assert (ext.state, ext.audit_needed, ext.no_audit_justification, ext.reviewed_by) == (
        ExtensionState.REVIEWED,
        False,
        "Seen at S1",
        people.staff,
    )


def test_review_refused_for_deciders_and_auditors(cert, people, outsider):
    ext = applied(cert, people)
    before = snapshot(ext)
    data = {"on": local_today().isoformat(), "revision": ext.revision, "audit_needed": "yes"}
    assert signed_in(people.decider).post(action(ext, "review"), data).status_code == 403
    assert signed_in(people.auditor).post(action(ext, "review"), data).status_code == 403
    assert signed_in(outsider).post(action(ext, "review"), data).status_code == 404
    assert Client().post(action(ext, "review"), data).status_code == 302
    assert snapshot(ext) == before


def test_staff_plan_the_special_audit(cert, people):
    ext = reviewed(cert, people, audit_needed=True)
    client = signed_in(people.staff)
    form = client.get(action(ext, "plan_audit")).content.decode()
    assert 'name="team_leader"' in form and 'name="justification"' not in form
    data = {
        "on": local_today().isoformat(),
        "revision": ext.revision,
        "planned_start": "2027-01-11",
        "planned_end": "2027-01-11",
        "team_leader": people.auditor.pk,
    }
    response = client.post(action(ext, "plan_audit"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == page(ext)
    ext.refresh_from_db()
    assert ext.state == ExtensionState.AUDIT_PLANNED
    assert (ext.audit.kind, ext.audit.planned_start, ext.audit.team_leader) == (
        "special",
        D(2027, 1, 11),
        people.auditor,
    )


def test_plan_audit_refused_when_the_review_found_none_needed(cert, people):
    ext = reviewed(cert, people)
    client = signed_in(people.staff)
    html = client.get(page(ext)).content.decode()
    assert "there is no special audit to plan" in html
    before = snapshot(ext)
    data = {
        "on": local_today().isoformat(),
        "revision": ext.revision,
        "planned_start": "2027-01-11",
        "planned_end": "2027-01-11",
        "team_leader": people.auditor.pk,
    }
    response = client.post(action(ext, "plan_audit"), data)
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    assert snapshot(ext) == before and not cert.audits.filter(kind="special").exists()


def test_decider_grants_and_a_new_version_is_issued(cert, people):
    ext = reviewed(cert, people)
    client = signed_in(people.decider)
    data = {"on": local_today().isoformat(), "revision": ext.revision, "reason": "Justified"}
    response = client.post(action(ext, "grant"), data)
    assert response.status_code == 302 and response["Location"] == page(ext)
    ext.refresh_from_db()
    cert.refresh_from_db()
    assert ext.state == ExtensionState.GRANTED and ext.decided_by == people.decider
    assert cert.scope == WIDER and cert.certificates.count() == 2
    assert "Done: Grant the extension." in client.get(page(ext)).content.decode()


def test_grant_and_refuse_refused_for_staff_and_auditors(cert, people, outsider):
    ext = reviewed(cert, people)
    before = snapshot(ext)
    data = {"on": local_today().isoformat(), "revision": ext.revision, "reason": "r"}
    for name in ("grant", "refuse"):
        assert signed_in(people.staff).post(action(ext, name), data).status_code == 403
        assert signed_in(people.auditor).post(action(ext, name), data).status_code == 403
        assert signed_in(outsider).post(action(ext, name), data).status_code == 404
    assert snapshot(ext) == before
    cert.refresh_from_db()
    assert cert.scope == SCOPE and cert.certificates.count() == 1


def test_a_grant_the_rules_refuse_shows_the_reason_and_changes_nothing(cert, people):
    ext = planned(cert, people)
    before = snapshot(ext)
    data = {"on": local_today().isoformat(), "revision": ext.revision, "reason": "ok"}
    response = signed_in(people.decider).post(action(ext, "grant"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was changed" in html and "is not closed yet" in html
    assert snapshot(ext) == before


def test_decider_refuses_with_a_reason(cert, people):
    ext = reviewed(cert, people)
    client = signed_in(people.decider)
    data = {"on": local_today().isoformat(), "revision": ext.revision, "reason": ""}
    assert client.post(action(ext, "refuse"), data).status_code == 200
    assert snapshot(ext)[0] == ExtensionState.REVIEWED
    response = client.post(action(ext, "refuse"), {**data, "reason": "Outside accreditation"})
    assert response.status_code == 302
    ext.refresh_from_db()
    cert.refresh_from_db()
    assert ext.state == ExtensionState.REFUSED and cert.scope == SCOPE


def test_an_action_the_state_does_not_allow_goes_back_with_the_reason(cert, people):
    ext = granted(cert, people)
    before = snapshot(ext)
    client = signed_in(people.decider)
    response = client.post(action(ext, "grant"), {"on": local_today().isoformat(), "reason": "x"})
    assert response.status_code == 302 and response["Location"] == page(ext)
    assert "is not possible while" in client.get(page(ext)).content.decode()
    response = client.get(action(ext, "delete"))
    assert response.status_code == 302
    assert snapshot(ext) == before


def test_a_form_posted_after_someone_else_acted_changes_nothing(cert, people):
    ext = applied(cert, people)
    data = {"on": local_today().isoformat(), "revision": ext.revision, "audit_needed": "yes"}
    client = signed_in(people.staff)
    svc.scope_extension_review(extension=ext, audit_needed=True, by=people.staff, on=D(2026, 11, 3))
    response = client.post(action(ext, "review"), data)
    # The extension moved on: the review is no longer offered.
    assert response.status_code == 302
    assert snapshot(ext)[2] == 1


def test_the_action_form_comes_as_a_fragment_for_htmx(cert, people):
    ext = applied(cert, people)
    response = signed_in(people.staff).get(action(ext, "review"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'name="audit_needed"' in html


# -- the list ----------------------------------------------------------------------------------


def test_the_list_open_first_for_every_role(cert, people, outsider):
    done = granted(cert, people, services="Granted services", received_on=D(2026, 10, 1))
    old = applied(cert, people, services="Old application", received_on=D(2026, 9, 1))
    new = applied(cert, people, services="New application", received_on=D(2026, 11, 1))
    url = reverse("workspace:scope_extensions")
    for user in (people.staff, people.decider, people.auditor):
        html = signed_in(user).get(url).content.decode()
        positions = [html.index(page(x)) for x in (old, new, done)]
        assert positions == sorted(positions), user
    assert page(old) not in signed_in(outsider).get(url).content.decode()
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    html = signed_in(people.staff).get(url, {"state": "granted"}).content.decode()
    assert page(done) in html and page(old) not in html
    html = signed_in(people.staff).get(url, {"state": ["open", "bogus"]}).content.decode()
    assert page(old) in html and page(done) not in html


def test_the_list_pages_without_a_count(cert, people):
    for n in range(3):
        applied(cert, people, services=f"Services {n}", received_on=D(2026, 11, 1 + n))
    url = reverse("workspace:scope_extensions")
    client = signed_in(people.staff)
    response = client.get(url, {"page": "abc"})
    assert response.status_code == 200
    assert client.get(url, {"page": "9999"}).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_the_list_exports(cert, people, outsider):
    applied(cert, people)
    url = reverse("workspace:scope_extensions")
    response = signed_in(people.staff).get(url, {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Client" and rows[1][0] == cert.client.legal_name
    assert ADDED in rows[1]
    response = signed_in(people.decider).get(url, {"format": "xlsx"})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet.cell(2, 1).value == cert.client.legal_name
    response = signed_in(outsider).get(url, {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 1  # headers only


def test_queries_do_not_grow_with_the_rows(cert, people):
    url = reverse("workspace:scope_extensions")
    client = signed_in(people.staff)
    applied(cert, people, services="First")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(3):
        refused(cert, people, services=f"More {n}")
    with CaptureQueriesContext(connection) as four:
        client.get(url)
    assert len(four.captured_queries) == len(one.captured_queries)
    ext = ScopeExtension.objects.filter(state="refused").first()
    with CaptureQueriesContext(connection) as page_queries:
        assert client.get(page(ext)).status_code == 200
    assert len(page_queries.captured_queries) < 30
