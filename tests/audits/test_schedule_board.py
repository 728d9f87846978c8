"""The staff scheduling board: audits due in the coming weeks without a team leader or with
proposed dates, and conflicts (double bookings, leave, qualifications, deadlines), in a
constant number of queries."""

import datetime

import pytest
from django.urls import reverse

from audits import selectors
from audits.models import AuditRole, AuditState
from audits.selectors import ConflictKind
from clients.models import TechnicalArea
from tests.audits.factories import leave, make_auditor
from tests.audits.test_auditor_portal import make_audit
from tests.factories import ClientFactory, standard

D = datetime.date
TODAY = D(2025, 3, 3)
pytestmark = pytest.mark.django_db


def board(weeks=8, today=TODAY):
    audits = selectors.board_audits(today=today, weeks=weeks)
    return audits, selectors.audits_to_staff(audits), selectors.schedule_conflicts(audits)


def kinds(conflicts, audit=None):
    return sorted(c.kind for c in conflicts if audit is None or c.audit.pk == audit.pk)


def test_audits_to_staff_within_the_window():
    li = make_auditor("li")
    no_leader = make_audit(start=D(2025, 4, 7), end=D(2025, 4, 8), dates_confirmed=False)
    proposed = make_audit(
        leader=li, start=D(2025, 4, 14), end=D(2025, 4, 15), dates_confirmed=False
    )
    # Planned far away but due within the window: counts by its deadline.
    due_soon = make_audit(start=D(2025, 9, 1), end=D(2025, 9, 2), due_by=D(2025, 4, 20))
    overdue = make_audit(start=D(2025, 2, 3), end=D(2025, 2, 4), due_by=D(2025, 2, 28))
    staffed = make_audit(leader=li, start=D(2025, 4, 21), end=D(2025, 4, 22))
    beyond = make_audit(start=D(2025, 6, 2), end=D(2025, 6, 3))
    done = make_audit(start=D(2025, 3, 10), end=D(2025, 3, 11), state=AuditState.CLOSED)
    audits, to_staff, _ = board()
    assert {a.pk for a in to_staff} == {no_leader.pk, proposed.pk, due_soon.pk, overdue.pk}
    assert staffed.pk in {a.pk for a in audits}
    assert beyond.pk not in {a.pk for a in audits}
    assert done.pk not in {a.pk for a in audits}
    # 14 weeks reach 2 June.
    _, to_staff, _ = board(weeks=14)
    assert beyond.pk in {a.pk for a in to_staff}


def test_double_booking_from_legacy_data_is_listed_once():
    li, wang = make_auditor("li"), make_auditor("wang")
    first = make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 12), book=False)
    second = make_audit(
        leader=wang, members=[li], start=D(2025, 3, 12), end=D(2025, 3, 13), book=False
    )
    apart = make_audit(leader=li, start=D(2025, 3, 14), end=D(2025, 3, 14), book=False)
    _, _, conflicts = board()
    double = [c for c in conflicts if c.kind == ConflictKind.DOUBLE_BOOKED]
    assert len(double) == 1
    (c,) = double
    assert (c.audit.pk, c.other_audit.pk, c.person.username) == (first.pk, second.pk, "li")
    assert "li is also on" in c.message and "from 2025-03-12 to 2025-03-13" in c.message
    assert kinds(conflicts, apart) == []


def test_booked_elsewhere_through_an_audit_booking(settings):
    """An audit booking of an audit the auditor is not (or no longer) on still blocks."""
    from audits.models import Booking, BookingKind

    li, wang = make_auditor("li"), make_auditor("wang")
    audit = make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 12))
    elsewhere = make_audit(leader=wang, start=D(2025, 3, 3), end=D(2025, 3, 4))
    Booking.objects.filter(audit=audit, auditor=li).delete()
    Booking.objects.create(
        auditor=li,
        kind=BookingKind.AUDIT,
        audit=elsewhere,
        starts_on=D(2025, 3, 11),
        ends_on=D(2025, 3, 11),
    )
    _, _, conflicts = board()
    assert kinds(conflicts, audit) == [ConflictKind.DOUBLE_BOOKED]


def test_leave_overlapping_the_audit():
    li, wang = make_auditor("li"), make_auditor("wang")
    audit = make_audit(
        leader=li, members=[wang], start=D(2025, 3, 10), end=D(2025, 3, 12), book=False
    )
    leave(wang, D(2025, 3, 12), D(2025, 3, 20), note="年假")
    leave(li, D(2025, 3, 13), D(2025, 3, 14))  # the day after: no conflict
    _, _, conflicts = board()
    (c,) = [c for c in conflicts if c.audit.pk == audit.pk]
    assert c.kind == ConflictKind.UNAVAILABLE
    assert c.message == "wang is unavailable (Leave) from 2025-03-12 to 2025-03-20: 年假."


def test_qualifications_missing_or_expired_on_the_audit_dates():
    expired = make_auditor("expired", valid_until=D(2025, 3, 11))
    member_only = make_auditor("member_only", role=AuditRole.AUDITOR)
    other_std = make_auditor("other_std", std=standard("ISO 9001"))
    ok = make_auditor("ok")
    audit = make_audit(
        leader=expired, members=[ok, other_std], start=D(2025, 3, 10), end=D(2025, 3, 12)
    )
    led_by_member = make_audit(leader=member_only, start=D(2025, 4, 7), end=D(2025, 4, 8))
    _, _, conflicts = board()
    messages = sorted(c.message for c in conflicts if c.kind == ConflictKind.UNQUALIFIED)
    assert messages == [
        "expired's qualification for ISO/IEC 20000-1:2018 is not valid on the audit dates "
        "2025-03-10 to 2025-03-12 (valid 2020-01-01 to 2025-03-11).",
        "member_only holds no qualification for ISO/IEC 20000-1:2018 as Team leader.",
        "other_std holds no qualification for ISO/IEC 20000-1:2018 as Auditor.",
    ]
    assert {c.audit.pk for c in conflicts} == {audit.pk, led_by_member.pk}


def test_technical_area_not_covered_by_the_team():
    li = make_auditor("li", areas=(33,))
    acme = ClientFactory()
    acme.technical_areas.set(TechnicalArea.objects.filter(code__in=[33, 19]))
    audit = make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 12), client=acme)
    _, _, conflicts = board()
    (c,) = conflicts
    assert (c.kind, c.audit.pk) == (ConflictKind.AREA_NOT_COVERED, audit.pk)
    assert "IAF 19" in c.message


def test_planned_past_its_deadline():
    li = make_auditor("li")
    late = make_audit(leader=li, start=D(2025, 3, 24), end=D(2025, 3, 26), due_by=D(2025, 3, 25))
    explained = make_audit(
        leader=li,
        start=D(2025, 4, 7),
        end=D(2025, 4, 8),
        due_by=D(2025, 4, 1),
        late_reason="Client closed for relocation",
    )
    _, _, conflicts = board()
    by_audit = {c.audit.pk: c.message for c in conflicts if c.kind == ConflictKind.LATE}
    assert by_audit == {
        late.pk: "Planned to end on 2025-03-26, after its deadline 2025-03-25, with no reason.",
        explained.pk: "Planned to end on 2025-04-08, after its deadline 2025-04-01.",
    }


def _scenario(n, tag):
    """n weeks of audits, each with a leader on leave, a double booking and a late plan."""
    acme = ClientFactory()
    acme.technical_areas.set(TechnicalArea.objects.filter(code__in=[33, 19]))
    for i in range(n):
        start = D(2025, 3, 10) + datetime.timedelta(weeks=i)
        end = start + datetime.timedelta(days=2)
        lead, member = (
            make_auditor(f"{tag}lead{i}"),
            make_auditor(f"{tag}member{i}", valid_until=start),
        )
        make_audit(
            leader=lead,
            members=[member],
            start=start,
            end=end,
            client=acme,
            book=False,
            due_by=start,
        )
        make_audit(leader=member, start=end, end=end, book=False, dates_confirmed=False)
        make_audit(start=start, end=end)
        leave(lead, end, end)


def test_board_page_keeps_a_constant_number_of_queries(
    client, staff, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("audits.views.local_today", lambda: TODAY)
    client.force_login(staff)
    _scenario(1, "a")
    with django_assert_max_num_queries(16) as small:
        response = client.get(reverse("audits:schedule_board"))
    assert response.status_code == 200
    _scenario(6, "b")
    with django_assert_max_num_queries(16) as large:
        response = client.get(reverse("audits:schedule_board"))
    assert len(large.captured_queries) == len(small.captured_queries)
    html = response.content.decode()
    for label in (
        "Booked twice",
        "Unavailable",
        "Not qualified",
        "Technical area not covered",
        "Planned past its deadline",
    ):
        assert label in html, label
    assert reverse("admin:audits_audit_change", args=[1]).rsplit("1/", 1)[0] in html


def test_board_is_for_staff_only(client, auditor, staff, monkeypatch):
    monkeypatch.setattr("audits.views.local_today", lambda: TODAY)
    url = reverse("audits:schedule_board")
    assert client.get(url).status_code == 302
    client.force_login(auditor)
    assert client.get(url).status_code == 403
    client.force_login(staff)
    audit = make_audit(start=D(2025, 3, 10), end=D(2025, 3, 11), dates_confirmed=False)
    html = client.get(url, {"weeks": "2"}).content.decode()
    assert reverse("admin:audits_audit_change", args=[audit.pk]) in html
    assert "From 2025-03-03 to 2025-03-17." in html
    html = client.get(url, {"weeks": "many"}).content.decode()
    assert "The number of weeks must be a whole number from 1 to 52" in html
    assert "From 2025-03-03 to 2025-04-28." in html


def test_admin_index_links_to_the_board(client, staff, auditor):
    client.force_login(staff)
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("audits:schedule_board") in html
    assert reverse("audits:my_audits") in html
    client.force_login(auditor)
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("audits:schedule_board") not in html
