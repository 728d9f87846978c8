"""The auditor's own pages: their audits only (everything else is a 404), the month calendar,
the team leader's forms calling the services, refusals shown as form errors, and their own
unavailability."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from audits.models import (
    Audit,
    AuditKind,
    AuditState,
    Booking,
    BookingKind,
    Finding,
)
from certificates.models import Certification
from clients.models import Site
from tests.audits.factories import leave, make_auditor
from tests.factories import ClientFactory, standard

D = datetime.date
pytestmark = pytest.mark.django_db


def make_audit(
    *,
    leader=None,
    members=(),
    start,
    end,
    kind=AuditKind.SURVEILLANCE,
    client=None,
    std=None,
    book=True,
    **fields,
) -> Audit:
    """An audit written straight to the database (no team service), with its audit bookings
    unless ``book=False`` (legacy data, or overlaps SQLite cannot refuse)."""
    client = client or ClientFactory()
    cert, _ = Certification.objects.get_or_create(
        client=client,
        standard=std or standard(),
        defaults={"scope": "IT operation and maintenance"},
    )
    audit = Audit.objects.create(
        certification=cert,
        kind=kind,
        planned_start=start,
        planned_end=end,
        team_leader=leader,
        **fields,
    )
    audit.members.set(members)
    if book:
        for user in [leader, *members]:
            if user is not None:
                Booking.objects.create(
                    auditor=user, kind=BookingKind.AUDIT, audit=audit, starts_on=start, ends_on=end
                )
    return audit


@pytest.fixture
def today(monkeypatch):
    day = D(2025, 3, 5)
    monkeypatch.setattr("audits.views.local_today", lambda: day)
    return day


@pytest.fixture
def team(db):
    """Li leads, Wang is a member; Zhao is another auditor on none of their audits."""
    li = make_auditor("li")
    wang = make_auditor("wang")
    zhao = make_auditor("zhao")
    return li, wang, zhao


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# -- Only one's own audits -------------------------------------------------------------------


def test_list_shows_my_audits_upcoming_first_and_nothing_of_others(client, team, today):
    li, wang, zhao = team
    past = make_audit(
        leader=li,
        start=D(2025, 1, 13),
        end=D(2025, 1, 14),
        client=ClientFactory(legal_name="过去客户有限公司"),
    )
    soon = make_audit(
        leader=wang,
        members=[li],
        start=D(2025, 3, 10),
        end=D(2025, 3, 12),
        client=ClientFactory(legal_name="近期客户有限公司"),
    )
    later = make_audit(
        leader=li,
        start=D(2025, 6, 2),
        end=D(2025, 6, 3),
        client=ClientFactory(legal_name="后期客户有限公司"),
    )
    make_audit(
        leader=zhao,
        start=D(2025, 3, 17),
        end=D(2025, 3, 18),
        client=ClientFactory(legal_name="别人的客户有限公司"),
    )
    client.force_login(li)
    html = page(client, reverse("audits:my_audits"))
    assert "别人的客户有限公司" not in html
    upcoming, past_part = html.split("Past</h2>")
    assert upcoming.index("近期客户有限公司") < upcoming.index("后期客户有限公司")
    assert "过去客户有限公司" in past_part and "过去客户有限公司" not in upcoming
    assert reverse("audits:audit_detail", args=[soon.pk]) in html
    assert reverse("audits:audit_detail", args=[later.pk]) in html
    assert reverse("audits:audit_detail", args=[past.pk]) in html


def test_another_auditors_audit_is_a_404(client, team, today):
    li, _, zhao = team
    theirs = make_audit(leader=zhao, start=D(2025, 3, 10), end=D(2025, 3, 11))
    client.force_login(li)
    assert client.get(reverse("audits:audit_detail", args=[theirs.pk])).status_code == 404
    for name in ("audit_start", "audit_report", "finding_raise"):
        response = client.post(reverse(f"audits:{name}", args=[theirs.pk]), {"on": "2025-03-10"})
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == AuditState.PLANNED


def test_staff_without_a_seat_on_the_team_get_a_404_too(client, staff, team, today):
    li, *_ = team
    audit = make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 11))
    client.force_login(staff)
    assert client.get(reverse("audits:audit_detail", args=[audit.pk])).status_code == 404
    assert "Surveillance" not in page(client, reverse("audits:my_audits"))


def test_pages_need_a_login(client, team):
    li, *_ = team
    audit = make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 11))
    for url in (
        reverse("audits:my_audits"),
        reverse("audits:calendar"),
        reverse("audits:audit_detail", args=[audit.pk]),
        reverse("audits:unavailability"),
        reverse("audits:feed_settings"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("workspace:login"))


def test_detail_shows_client_sites_dates_team_standard_time_and_findings(client, team, today):
    li, wang, _ = team
    acme = ClientFactory(legal_name="上海测试科技有限公司", address="上海市浦东新区世纪大道100号")
    audit = make_audit(
        leader=li,
        members=[wang],
        start=D(2025, 3, 10),
        end=D(2025, 3, 12),
        client=acme,
        dates_confirmed=False,
        audit_days=Decimal("2.5"),
        onsite_days=Decimal("2.0"),
    )
    Finding.objects.create(
        audit=audit,
        grade="minor",
        clause="8.5.1",
        description="Change records incomplete",
        raised_on=D(2025, 3, 11),
        state="open",
    )
    client.force_login(wang)
    html = page(client, reverse("audits:audit_detail", args=[audit.pk]))
    for text in (
        "上海测试科技有限公司",
        "上海市浦东新区世纪大道100号",  # no sample drawn: the client's sites
        "2025-03-10 \N{EN DASH} 2025-03-12",
        "proposed",
        "li",
        "wang",
        "ISO/IEC 20000-1:2018",
        "2.5 auditor-days, of which at least 2 on site",
        "Change records incomplete",
        "8.5.1",
    ):
        assert text in html, text
    # A member sees the audit but none of the leader's forms.
    assert reverse("audits:audit_start", args=[audit.pk]) not in html
    assert "Only the team leader" in html


def test_detail_lists_the_sampled_sites_only(client, team, today):
    li, *_ = team
    acme = ClientFactory(address="北京市海淀区中关村大街1号")
    branch = Site.objects.create(client=acme, name="Branch", city="天津", address="天津市和平区1号")
    audit = make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 11), client=acme)
    audit.sites.set([branch])
    client.force_login(li)
    html = page(client, reverse("audits:audit_detail", args=[audit.pk]))
    assert "天津市和平区1号" in html
    assert "北京市海淀区中关村大街1号" not in html


def test_list_keeps_a_constant_number_of_queries(
    client, team, today, django_assert_max_num_queries
):
    li, wang, _ = team
    for week in range(8):
        start = D(2025, 4, 7) + datetime.timedelta(weeks=week)
        make_audit(leader=li, members=[wang], start=start, end=start + datetime.timedelta(days=1))
    client.force_login(li)
    with django_assert_max_num_queries(12):
        page(client, reverse("audits:my_audits"))
    with django_assert_max_num_queries(12):
        page(client, reverse("audits:calendar"), month="2025-04")


# -- Month calendar ------------------------------------------------------------------------------


def test_month_calendar_shows_my_audits_on_their_days(client, team, today):
    li, _, zhao = team
    mine = make_audit(
        leader=li,
        start=D(2025, 3, 31),
        end=D(2025, 4, 2),
        client=ClientFactory(legal_name="跨月客户有限公司"),
    )
    make_audit(
        leader=zhao,
        start=D(2025, 4, 1),
        end=D(2025, 4, 1),
        client=ClientFactory(legal_name="别人的客户有限公司"),
    )
    make_audit(
        leader=li,
        start=D(2025, 4, 14),
        end=D(2025, 4, 15),
        state=AuditState.CANCELLED,
        client=ClientFactory(legal_name="取消的客户有限公司"),
    )
    client.force_login(li)
    html = page(client, reverse("audits:calendar"), month="2025-04")
    assert "2025-04" in html
    assert 'href="?month=2025-03"' in html and 'href="?month=2025-05"' in html
    link = reverse("audits:audit_detail", args=[mine.pk])
    # 31 March (shown in April's first week), 1 and 2 April.
    assert html.count(link) == 3
    assert "别人的客户有限公司" not in html
    assert "取消的客户有限公司" not in html


def test_month_calendar_defaults_to_this_month_and_explains_a_bad_month(client, team, today):
    li, *_ = team
    make_audit(leader=li, start=D(2025, 3, 20), end=D(2025, 3, 20))
    client.force_login(li)
    assert 'href="?month=2025-02"' in page(client, reverse("audits:calendar"))
    html = page(client, reverse("audits:calendar"), month="2025-13")
    assert "is not a month (use YYYY-MM)" in html
    assert 'href="?month=2025-04"' in html


def test_chinese_pages(client, team, today):
    li, *_ = team
    client.force_login(li)
    response = client.get("/zh-hans/auditor/")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


# -- The team leader's forms -------------------------------------------------------------------


def test_leader_starts_raises_findings_and_submits_the_report(client, team, today):
    li, wang, _ = team
    audit = make_audit(leader=li, members=[wang], start=D(2025, 3, 10), end=D(2025, 3, 12))
    client.force_login(li)
    detail = reverse("audits:audit_detail", args=[audit.pk])
    html = page(client, detail)
    assert reverse("audits:audit_start", args=[audit.pk]) in html
    assert 'value="2025-03-05"' in html  # the date defaults to today

    response = client.post(reverse("audits:audit_start", args=[audit.pk]), {"on": "2025-03-10"})
    assert response.status_code == 302 and response["Location"] == detail
    audit.refresh_from_db()
    assert (audit.state, audit.actual_start) == (AuditState.IN_PROGRESS, D(2025, 3, 10))

    response = client.post(
        reverse("audits:finding_raise", args=[audit.pk]),
        {
            "grade": "major",
            "clause": "8.5.1",
            "description": "No change records",
            "on": "2025-03-11",
        },
    )
    assert response.status_code == 302
    finding = audit.findings.get()
    assert (finding.grade, finding.raised_on, finding.plan_due) == (
        "major",
        D(2025, 3, 11),
        D(2025, 4, 10),
    )

    # A surveillance offers only its own recommendations.
    html = page(client, detail)
    assert 'value="continue"' in html and 'value="suspend"' in html
    assert 'value="recommend"' not in html
    response = client.post(
        reverse("audits:audit_report", args=[audit.pk]),
        {"recommendation": "recommend", "on": "2025-03-12"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()

    response = client.post(
        reverse("audits:audit_report", args=[audit.pk]),
        {"recommendation": "continue", "on": "2025-03-12"},
    )
    assert response.status_code == 302
    audit.refresh_from_db()
    assert (audit.state, audit.actual_end, audit.recommendation) == (
        AuditState.REPORT_SUBMITTED,
        D(2025, 3, 12),
        "continue",
    )


def test_refusals_are_form_errors_not_tracebacks(client, team, today):
    li, *_ = team
    audit = make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 12), dates_confirmed=False)
    client.force_login(li)
    html = page(client, reverse("audits:audit_detail", args=[audit.pk]))
    assert "The audit dates are only proposed: confirm them first." in html  # shown beforehand

    response = client.post(reverse("audits:audit_start", args=[audit.pk]), {"on": "2025-03-10"})
    assert response.status_code == 400
    assert "The audit dates are only proposed: confirm them first." in response.content.decode()
    audit.refresh_from_db()
    assert audit.state == AuditState.PLANNED

    response = client.post(
        reverse("audits:finding_raise", args=[audit.pk]),
        {"grade": "minor", "description": "x", "on": "2025-03-10"},
    )
    assert response.status_code == 400
    assert "Findings can be raised only while the audit is in progress" in response.content.decode()
    assert not audit.findings.exists()

    audit.dates_confirmed = True
    audit.save()
    client.post(reverse("audits:audit_start", args=[audit.pk]), {"on": "2025-03-10"})
    response = client.post(
        reverse("audits:audit_report", args=[audit.pk]),
        {"recommendation": "continue", "on": "2025-03-09"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "since 2025-03-10: an action on it cannot be dated 2025-03-09" in html
    response = client.post(reverse("audits:audit_start", args=[audit.pk]), {"on": "not a date"})
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


def test_members_see_but_cannot_submit(client, team, today):
    li, wang, _ = team
    audit = make_audit(leader=li, members=[wang], start=D(2025, 3, 10), end=D(2025, 3, 12))
    client.force_login(wang)
    response = client.post(reverse("audits:audit_start", args=[audit.pk]), {"on": "2025-03-10"})
    assert response.status_code == 403
    audit.refresh_from_db()
    assert audit.state == AuditState.PLANNED


def test_forms_are_post_only_and_csrf_protected(team, today):
    li, *_ = team
    audit = make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 12))
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(li)
    url = reverse("audits:audit_start", args=[audit.pk])
    assert browser.get(url).status_code == 405
    assert browser.post(url, {"on": "2025-03-10"}).status_code == 403
    audit.refresh_from_db()
    assert audit.state == AuditState.PLANNED


# -- Own unavailability ------------------------------------------------------------------------


def test_auditor_records_own_leave_and_overlaps_are_refused(client, team, today):
    li, _, zhao = team
    leave(zhao, D(2025, 5, 1), D(2025, 5, 5), note="别人的假期")
    make_audit(leader=li, start=D(2025, 4, 14), end=D(2025, 4, 16), book=False)
    client.force_login(li)
    url = reverse("audits:unavailability")
    assert "别人的假期" not in page(client, url)

    response = client.post(
        url, {"kind": "leave", "starts_on": "2025-05-01", "ends_on": "2025-05-05", "note": "劳动节"}
    )
    assert response.status_code == 302
    mine = Booking.objects.get(auditor=li, kind=BookingKind.LEAVE)
    assert (mine.starts_on, mine.ends_on, mine.note) == (D(2025, 5, 1), D(2025, 5, 5), "劳动节")

    response = client.post(
        url, {"kind": "other", "starts_on": "2025-05-05", "ends_on": "2025-05-06"}
    )
    assert response.status_code == 400
    assert "li is already booked from 2025-05-01 to 2025-05-05" in response.content.decode()

    # On an audit team those days (even without a booking row).
    response = client.post(
        url, {"kind": "leave", "starts_on": "2025-04-16", "ends_on": "2025-04-18"}
    )
    assert response.status_code == 400
    assert "li is on the team of" in response.content.decode()

    response = client.post(
        url, {"kind": "audit", "starts_on": "2025-06-01", "ends_on": "2025-06-01"}
    )
    assert response.status_code == 400
    response = client.post(
        url, {"kind": "leave", "starts_on": "2025-06-05", "ends_on": "2025-06-01"}
    )
    assert "The last day is before the first day." in response.content.decode()
    # The auditor cannot book someone else: the auditor field is not theirs to set.
    client.post(
        url,
        {"kind": "leave", "starts_on": "2025-07-01", "ends_on": "2025-07-02", "auditor": zhao.pk},
    )
    assert Booking.objects.get(starts_on=D(2025, 7, 1)).auditor == li
    assert Booking.objects.filter(auditor=li).count() == 2
