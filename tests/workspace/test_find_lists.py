"""FIND: the four lists (clients, applications, certifications, audits): who sees which rows,
the filters (with the names the home page links with), paging without a count, exports, and
bad input answered with a page."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audits.models import AuditState
from certificates import services as svc
from certificates.models import Certification
from tests.audits.factories import all_standards_auditor
from tests.factories import ClientFactory, standard
from tests.lifecycle import People, apply, build, certified
from workspace.views import lists as list_views

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 3, 1)
LISTS = ("clients", "applications", "certifications", "audits")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(list_views, "local_today", lambda: TODAY)


def _rename(cert, name):
    client = cert.client
    client.legal_name = name
    client.save()
    cert.refresh_from_db()
    return cert


@pytest.fixture
def world(people):
    """Certifications in the states the lists sort out (dates: tests/lifecycle.build):
    active (granted 2025-01-15, surveillance due 2026-01-15: overdue on TODAY; the audit
    programme's surveillance and recertification audits planned without a team), suspended
    (granted 2025-03-15, suspended 2025-06-01: deadline 2025-12-01 passed on TODAY), rejected,
    and an application whose documents were not received. ``auditor`` led every audit of the
    active and suspended ones."""
    active = _rename(certified(people, decided_on=D(2025, 1, 15)), "甲方活跃科技有限公司")
    suspended = certified(people, decided_on=D(2025, 3, 15))
    svc.certification_suspend(
        certification=suspended, reason="Client asked", by=people.decider, on=D(2025, 6, 1)
    )
    suspended = _rename(suspended, "乙方暂停科技有限公司")
    rejected = _rename(build(people, "rejected"), "丙方拒绝科技有限公司")
    incomplete = apply(
        people, client=ClientFactory(legal_name="丁方资料不全有限公司"), complete=False
    )
    return {
        "active": active,
        "suspended": suspended,
        "rejected": rejected,
        "incomplete": incomplete,
    }


NAMES = ("甲方活跃", "乙方暂停", "丙方拒绝", "丁方资料不全")


def _get(client, name, **params):
    response = client.get(reverse(f"workspace:{name}"), params)
    assert response.status_code == 200, (name, params, response.status_code)
    return response.content.decode()


def _shown(body) -> set[str]:
    return {n for n in NAMES if n in body}


# -- Who sees which rows -----------------------------------------------------------------------


def test_every_list_sends_an_anonymous_visitor_to_log_in():
    for name in LISTS:
        response = WebClient().get(reverse(f"workspace:{name}"))
        assert response.status_code == 302
        assert reverse("workspace:login") in response["Location"]


def test_office_roles_see_every_row_auditors_only_their_audits(world, staff, decider, auditor):
    stranger = all_standards_auditor("stranger")
    expected = {
        # list: (office sees, auditor sees); the parameters show every state of the list.
        ("clients", ()): (set(NAMES), {"甲方活跃", "乙方暂停"}),
        ("applications", (("status", "all"),)): (set(NAMES), {"甲方活跃", "乙方暂停"}),
        ("certifications", ()): (set(NAMES), {"甲方活跃", "乙方暂停"}),
        ("audits", (("state", "all"),)): ({"甲方活跃", "乙方暂停"}, {"甲方活跃", "乙方暂停"}),
    }
    for (name, params), (office, auditor_sees) in expected.items():
        for user in (staff, decider):
            assert _shown(_get(signed_in(user), name, **dict(params))) == office, (name, user)
        assert _shown(_get(signed_in(auditor), name, **dict(params))) == auditor_sees, name
        assert _shown(_get(signed_in(stranger), name, **dict(params))) == set(), name


# -- Certifications --------------------------------------------------------------------------


def test_certifications_filter_by_state_standard_and_text(world, as_staff):
    assert _shown(_get(as_staff, "certifications", state="active")) == {"甲方活跃"}
    both = _get(as_staff, "certifications", state=["active", "suspended"])
    assert _shown(both) == {"甲方活跃", "乙方暂停"}
    std = standard().pk
    assert "甲方活跃" in _get(as_staff, "certifications", standard=std)
    other = standard("ISO 9001").pk
    assert _shown(_get(as_staff, "certifications", standard=other)) == set()
    # Text: part of the name, the credit code, the certificate number as people type it.
    assert _shown(_get(as_staff, "certifications", q="甲方")) == {"甲方活跃"}
    code = world["active"].client.registration_id
    assert _shown(_get(as_staff, "certifications", q=code)) == {"甲方活跃"}
    number = world["active"].certificate_number.lower().replace("-", " ")
    assert _shown(_get(as_staff, "certifications", q=number)) == {"甲方活跃"}


def test_certifications_due_filters_match_the_home_page(world, as_staff):
    # Surveillance due 2026-01-15, not held: overdue on 2026-03-01.
    assert _shown(_get(as_staff, "certifications", due="overdue")) == {"甲方活跃"}
    assert _shown(_get(as_staff, "certifications", due="90d")) == set()
    # The suspension deadline (2025-12-01) has passed.
    assert _shown(_get(as_staff, "certifications", suspension="passed")) == {"乙方暂停"}
    assert _shown(_get(as_staff, "certifications", date="suspension", due="overdue")) == {
        "乙方暂停"
    }
    assert _shown(_get(as_staff, "certifications", suspension="near")) == set()
    # Expiry 2028-01-14: within 90 days of nothing yet.
    assert _shown(_get(as_staff, "certifications", date="expiry", due="90d")) == set()


def test_certifications_show_the_next_date_that_matters(world, as_staff):
    body = _get(as_staff, "certifications")
    assert "Surveillance due" in body and "2026-01-15" in body
    assert "Suspension deadline" in body and "2025-12-01" in body
    # Most urgent first: the earliest date leads (suspended lists by its surveillance date
    # too, which it keeps; the overdue active one comes before anything later).
    assert body.index("甲方活跃") < body.index("丙方拒绝")


def test_decider_me_lists_the_files_designated_to_me(world, decider, people):
    cert = world["active"]
    Certification.objects.filter(pk=cert.pk).update(decision_maker=decider)
    body = _get(signed_in(decider), "certifications", decider="me")
    assert _shown(body) == {"甲方活跃"}
    assert _shown(_get(signed_in(people.staff), "certifications", decider="me")) == set()


# -- Audits ------------------------------------------------------------------------------------


def test_audits_default_to_open_ones_soonest_first(world, as_staff):
    body = _get(as_staff, "audits")
    assert "甲方活跃" in body  # its programme audits are planned
    page = _page_rows(as_staff, "audits")
    assert page and all(a.state not in (AuditState.CLOSED, AuditState.CANCELLED) for a in page)
    assert [a.planned_start for a in page] == sorted(a.planned_start for a in page)
    closed = _page_rows(as_staff, "audits", state="closed")
    assert closed and all(a.state == AuditState.CLOSED for a in closed)
    assert [a.planned_start for a in closed] == sorted(
        (a.planned_start for a in closed), reverse=True
    )


def _page_rows(client, name, **params):
    response = client.get(reverse(f"workspace:{name}"), params)
    assert response.status_code == 200
    return list(response.context["page"].rows)


def test_audits_without_team_and_unconfirmed_dates(world, as_staff):
    for params in ({"team": "no"}, {"team": "none"}):
        rows = _page_rows(as_staff, "audits", **params)
        assert rows and all(a.team_leader_id is None for a in rows), params
    with_team = _page_rows(as_staff, "audits", team="yes", state="all")
    assert with_team and all(a.team_leader_id for a in with_team)
    for params in ({"confirmed": "no"}, {"dates": "unconfirmed"}):
        rows = _page_rows(as_staff, "audits", **params)
        assert rows and all(not a.dates_confirmed for a in rows), params
    body = _get(as_staff, "audits", team="no")
    assert "no team yet" in body and "proposed, not confirmed" in body


def test_audits_mine_and_deadlines(world, auditor, as_staff):
    mine = _page_rows(signed_in(auditor), "audits", mine="yes", state="all")
    assert mine and all(a.team_leader_id == auditor.pk for a in mine)
    assert _page_rows(signed_in(auditor), "audits", auditor="me", state="all") == mine
    # The first surveillance was due by 2026-01-15: overdue on 2026-03-01.
    overdue = _page_rows(as_staff, "audits", date="due_by", due="overdue")
    assert overdue and all(a.due_by < TODAY for a in overdue)
    assert "overdue" in _get(as_staff, "audits", date="due_by", due="overdue")
    assert _page_rows(as_staff, "audits", late="yes") == []
    surveillance = _page_rows(as_staff, "audits", kind="surveillance")
    assert surveillance and all(a.kind == "surveillance" for a in surveillance)


# -- Applications ------------------------------------------------------------------------------


def test_applications_status_and_intake(world, as_staff):
    open_rows = _page_rows(as_staff, "applications")
    assert [a.client.legal_name for a in open_rows] == ["丁方资料不全有限公司"]
    body = _get(as_staff, "applications")
    assert "missing" in body and "Open" in body
    missing = open_rows[0].status.missing_total
    documents = standard().required_documents.count()
    assert missing >= documents > 0
    assert _shown(_get(as_staff, "applications", status="to_review")) == {"丁方资料不全"}
    assert _shown(_get(as_staff, "applications", intake="incomplete")) == {"丁方资料不全"}
    assert _shown(_get(as_staff, "applications", intake="complete")) == set()
    assert _shown(_get(as_staff, "applications", status="accepted")) == {"甲方活跃", "乙方暂停"}
    assert _shown(_get(as_staff, "applications", status="rejected")) == {"丙方拒绝"}


def test_a_complete_application_says_so(people, as_staff):
    apply(people, client=ClientFactory(legal_name="戊方资料齐全有限公司"))
    body = _get(as_staff, "applications", intake="complete")
    assert "戊方资料齐全" in body and "complete" in body


# -- Clients -----------------------------------------------------------------------------------


def test_clients_filter_by_text_and_city(world, as_staff):
    ClientFactory(legal_name="己方上海公司", city="上海")
    assert "己方上海公司" in _get(as_staff, "clients", city="上海市")
    assert "甲方活跃" not in _get(as_staff, "clients", city="上海")
    assert _shown(_get(as_staff, "clients", q="乙方")) == {"乙方暂停"}
    body = _get(as_staff, "clients", q="甲方")
    assert reverse("workspace:certification", args=[world["active"].pk]) in body
    newest = _page_rows(as_staff, "clients", sort="newest")
    assert newest[0].legal_name == "己方上海公司"


# -- Paging without a count, bad input, htmx -----------------------------------------------------


def test_paging_has_no_count_and_survives_bad_page_numbers(as_staff):
    for n in range(55):
        ClientFactory(legal_name=f"分页客户{n:03d}")
    url = reverse("workspace:clients")
    with CaptureQueriesContext(connection) as queries:
        first = as_staff.get(url)
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    page = first.context["page"]
    assert len(page.rows) == 50 and page.has_next and not page.has_previous
    assert "page=2" in first.content.decode()
    second = as_staff.get(url, {"page": "2"}).context["page"]
    assert len(second.rows) == 5 and not second.has_next
    assert as_staff.get(url, {"page": "abc"}).context["page"].number == 1
    past = as_staff.get(url, {"page": "9999"})
    assert past.status_code == 200 and "No client matches" in past.content.decode()


@pytest.mark.parametrize("name", LISTS)
def test_unknown_filter_values_give_a_page(world, as_staff, name):
    params = {
        "state": ["nonsense", "active"],
        "kind": "bogus",
        "status": "maybe",
        "intake": "?",
        "due": "someday",
        "date": "whenever",
        "standard": "abc",
        "client": "x",
        "team": "perhaps",
        "confirmed": "1",
        "decider": "you",
        "sort": "random",
        "page": "abc",
        "q": "%_\\" + "x" * 300,
        "city": "",
        "recert": "no",
        "suspension": "later",
        "restorable": "yes",
    }
    response = as_staff.get(reverse(f"workspace:{name}"), params)
    assert response.status_code == 200
    response = as_staff.get(reverse(f"workspace:{name}"), {"standard": "999999", "client": "5"})
    assert response.status_code == 200


@pytest.mark.parametrize("name", LISTS)
def test_htmx_swaps_only_the_table(world, as_staff, name):
    response = as_staff.get(
        reverse(f"workspace:{name}"),
        {"status": "all", "state": "all"} if name in ("applications", "audits") else {},
        headers={"HX-Request": "true", "HX-Target": "list-table"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "<table" in body


@pytest.mark.parametrize("name", LISTS)
def test_a_fixed_number_of_queries(world, as_staff, people, name):
    params = {"status": "all", "state": "all"}
    with CaptureQueriesContext(connection) as few:
        as_staff.get(reverse(f"workspace:{name}"), params)
    certified(people, decided_on=D(2025, 5, 20))
    apply(people, complete=False)
    with CaptureQueriesContext(connection) as many:
        as_staff.get(reverse(f"workspace:{name}"), params)
    # Applications: one penalty query per open application shown (Application.penalty_problems
    # reads them itself), so at most the page's size.
    slack = 1 if name == "applications" else 0
    assert len(many) <= len(few) + slack, name
    assert len(few) <= 15
    assert not any("COUNT(" in q["sql"].upper() for q in many.captured_queries)


# -- Exports -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_exports_are_the_filtered_list(world, as_staff, name):
    params = {"status": "all", "state": "all"}
    url = reverse(f"workspace:{name}")
    response = as_staff.get(url, {**params, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    shown = list(as_staff.get(url, params).context["page"].rows)
    assert len(rows) == 1 + len(shown)
    assert any("甲方活跃" in str(cell) for row in rows for cell in row)

    response = as_staff.get(url, {**params, "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 1 + len(shown)


def test_an_export_keeps_the_filters_and_the_need_to_know(world, auditor, as_staff):
    response = as_staff.get(
        reverse("workspace:certifications"), {"state": "active", "format": "csv"}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "甲方活跃" in text and "乙方暂停" not in text
    response = signed_in(auditor).get(reverse("workspace:clients"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"甲方活跃科技有限公司", "乙方暂停科技有限公司"}


def test_an_export_never_runs_a_formula(as_staff):
    ClientFactory(legal_name='=HYPERLINK("http://evil.example","点我")', city="北京")
    response = as_staff.get(reverse("workspace:clients"), {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(text)) if "HYPERLINK" in r[0])
    assert not row[0].startswith("=")
    response = as_staff.get(reverse("workspace:clients"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = next(r[0] for r in sheet.iter_rows(values_only=True) if "HYPERLINK" in str(r[0]))
    assert not str(cell).startswith("=")


def test_the_export_links_keep_the_filters(world, as_staff):
    body = _get(as_staff, "certifications", state="active")
    assert "format=csv&amp;state=active" in body and "format=xlsx&amp;state=active" in body


def test_auditor_cannot_see_audits_of_others_even_by_filter(world, people, auditor):
    # Another client's certification audited by a team ``auditor`` is not on.
    third = all_standards_auditor("auditor3")
    others = People(
        staff=people.staff, auditor=people.auditor2, auditor2=third, decider=people.decider
    )
    other = certified(others, decided_on=datetime.date(2025, 3, 3)).audits.first()
    assert other is not None
    assert not other.members.filter(pk=auditor.pk).exists() and other.team_leader != auditor
    query = {"state": "all", "client": other.certification.client_id}
    response = signed_in(auditor).get(reverse("workspace:audits"), query)
    assert list(response.context["page"].rows) == []
    # The same filter shows the office the audits (the filter itself works).
    response = signed_in(people.staff).get(reverse("workspace:audits"), query)
    assert other.pk in [a.pk for a in response.context["page"].rows]


def test_the_client_list_offers_a_new_client_to_staff(people):
    new = reverse("workspace:client_new")
    clients = reverse("workspace:clients")
    assert f'href="{new}"' in signed_in(people.staff).get(clients).content.decode()
    assert f'href="{new}"' not in signed_in(people.decider).get(clients).content.decode()
