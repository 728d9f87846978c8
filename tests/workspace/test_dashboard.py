"""The dashboard (workspace:dashboard): figures right on known data, every role, exports, a
constant number of queries and the cache."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audits.models import Audit, AuditKind, AuditState, Booking, BookingKind
from audits.selectors.dashboard import (
    audit_days_per_month,
    auditor_workload,
    surveillance_due_and_held,
    surveillance_overdue_at,
)
from certificates.models import Certification, Decision, DecisionOutcome, State
from certificates.selectors.dashboard import (
    certifications_by_state,
    decision_times,
    percentile,
)
from tests.factories import ApplicationFactory, ClientFactory, UserFactory, standard
from workspace.views.dashboard import refresh_figures

from .conftest import signed_in

D = datetime.date
TODAY = D(2026, 3, 10)  # a Tuesday
URL = reverse("workspace:dashboard")


@pytest.fixture(autouse=True)
def _fresh_cache_and_day(monkeypatch):
    cache.clear()
    monkeypatch.setattr("workspace.views.dashboard.local_today", lambda: TODAY)
    yield
    cache.clear()


def cert(state=State.ACTIVE, received_on=None):
    client = ClientFactory()
    application = ApplicationFactory(client=client, received_on=received_on or D(2025, 1, 1))
    c = Certification.objects.create(
        client=client, standard=standard(), scope="IT services", application=application
    )
    Certification.objects.filter(pk=c.pk).update(state=state)
    c.refresh_from_db()
    return c


def audit(certification, *, kind=AuditKind.SURVEILLANCE, state=AuditState.PLANNED, **fields):
    fields.setdefault("planned_start", fields.get("due_by") or D(2026, 1, 1))
    fields.setdefault("planned_end", fields["planned_start"])
    a = Audit.objects.create(certification=certification, kind=kind, **fields)
    Audit.objects.filter(pk=a.pk).update(state=state)
    a.refresh_from_db()
    return a


@pytest.fixture
def known(db, auditor, auditor2):
    """Certifications: 3 active, 1 suspended, 2 applied. Audits and bookings as commented."""
    a = cert()
    b = cert(received_on=D(2025, 1, 1))
    c = cert(received_on=D(2025, 1, 1))
    cert(State.SUSPENDED)
    cert(State.APPLIED)
    cert(State.APPLIED)
    # Surveillance due January 2026, not held: overdue at the end of January, February, today.
    audit(a, due_by=D(2026, 1, 15), planned_start=D(2026, 1, 10), audit_days=Decimal("2"))
    # Due November 2025, held (started) 3 December: overdue only at the end of November.
    audit(
        a,
        due_by=D(2025, 11, 20),
        planned_start=D(2025, 12, 3),
        planned_end=D(2025, 12, 4),
        actual_start=D(2025, 12, 3),
        actual_end=D(2025, 12, 4),
        state=AuditState.REPORT_SUBMITTED,
        audit_days=Decimal("1.5"),
    )
    # Due October 2025 but cancelled on 20 October: never due, never overdue, no days.
    audit(
        b,
        due_by=D(2025, 10, 10),
        planned_start=D(2025, 10, 5),
        state=AuditState.CANCELLED,
        state_since=D(2025, 10, 20),
        audit_days=Decimal("3"),
    )
    # Due May 2026 (a month ahead), planned in April.
    audit(b, due_by=D(2026, 5, 1), planned_start=D(2026, 4, 20), audit_days=Decimal("2.5"))
    # A long-ago surveillance, held: outside every window.
    audit(c, due_by=D(2024, 1, 1), actual_start=D(2024, 1, 5), state=AuditState.CLOSED)
    # A stage 2 held in February 2026 (closed): 4.5 days planned and delivered in February.
    stage2 = audit(
        c,
        kind=AuditKind.STAGE2,
        planned_start=D(2026, 2, 2),
        planned_end=D(2026, 2, 4),
        actual_start=D(2026, 2, 2),
        actual_end=D(2026, 2, 4),
        state=AuditState.CLOSED,
        audit_days=Decimal("4.5"),
    )
    # Bookings for the workload (weeks from Monday 2026-03-09).
    week1 = audit(c, kind=AuditKind.SPECIAL, planned_start=D(2026, 3, 10))
    Booking.objects.create(
        auditor=auditor,
        kind=BookingKind.AUDIT,
        audit=week1,
        starts_on=D(2026, 3, 10),
        ends_on=D(2026, 3, 12),
    )
    across = audit(c, kind=AuditKind.SPECIAL, planned_start=D(2026, 3, 13))
    Booking.objects.create(
        auditor=auditor2,
        kind=BookingKind.AUDIT,
        audit=across,
        starts_on=D(2026, 3, 13),
        ends_on=D(2026, 3, 17),
    )
    cancelled = audit(
        c, kind=AuditKind.SPECIAL, planned_start=D(2026, 3, 20), state=AuditState.CANCELLED
    )
    Booking.objects.create(
        auditor=auditor,
        kind=BookingKind.AUDIT,
        audit=cancelled,
        starts_on=D(2026, 3, 20),
        ends_on=D(2026, 3, 20),
    )
    Booking.objects.create(
        auditor=auditor, kind=BookingKind.LEAVE, starts_on=D(2026, 3, 23), ends_on=D(2026, 3, 27)
    )
    # Decisions: 100, 140 and 180 days after receipt in Q2 2025; a suspension and an old grant
    # do not count.
    Decision.objects.create(
        certification=a, outcome=DecisionOutcome.GRANT, decided_on=D(2025, 4, 11)
    )
    Decision.objects.create(
        certification=b, outcome=DecisionOutcome.GRANT, decided_on=D(2025, 5, 21)
    )
    Decision.objects.create(
        certification=c, outcome=DecisionOutcome.REFUSE, decided_on=D(2025, 6, 30)
    )
    Decision.objects.create(
        certification=a, outcome=DecisionOutcome.SUSPEND, decided_on=D(2025, 5, 1)
    )
    Decision.objects.create(
        certification=a, outcome=DecisionOutcome.GRANT, decided_on=D(2023, 1, 2)
    )
    return {"stage2": stage2}


def months(first, count):
    out, day = [], first
    for _ in range(count):
        out.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return out


# -- the selectors ------------------------------------------------------------------------------
def test_certifications_by_state(known):
    counts = dict(certifications_by_state())
    assert counts[State.ACTIVE] == 3
    assert counts[State.SUSPENDED] == 1
    assert counts[State.APPLIED] == 2
    assert counts[State.WITHDRAWN] == 0
    assert list(counts) == list(State.values)


def test_surveillance_due_and_held(known):
    rows = {r["month"]: r for r in surveillance_due_and_held(months(D(2025, 4, 1), 15))}
    assert rows[D(2026, 1, 1)] == {"month": D(2026, 1, 1), "due": 1, "held": 0}
    assert rows[D(2025, 11, 1)]["due"] == 1 and rows[D(2025, 11, 1)]["held"] == 0
    assert rows[D(2025, 12, 1)]["held"] == 1
    assert rows[D(2025, 10, 1)]["due"] == 0  # cancelled
    assert rows[D(2026, 5, 1)]["due"] == 1
    assert sum(r["due"] for r in rows.values()) == 3
    assert sum(r["held"] for r in rows.values()) == 1


def test_surveillance_overdue_at_month_ends(known):
    ends = [D(2025, 10, 31), D(2025, 11, 30), D(2025, 12, 31), D(2026, 1, 31), D(2026, 2, 28)]
    got = {r["day"]: r["overdue"] for r in surveillance_overdue_at([*ends, TODAY])}
    assert got == {
        D(2025, 10, 31): 0,  # the October one was cancelled on the 20th
        D(2025, 11, 30): 1,  # due 20 November, started 3 December
        D(2025, 12, 31): 0,
        D(2026, 1, 31): 1,
        D(2026, 2, 28): 1,
        TODAY: 1,
    }
    # Before its cancellation the October one was overdue.
    assert surveillance_overdue_at([D(2025, 10, 15)]) == [{"day": D(2025, 10, 15), "overdue": 1}]


def test_audit_days_per_month(known):
    rows = {r["month"]: r for r in audit_days_per_month(months(D(2025, 10, 1), 8))}
    assert rows[D(2025, 10, 1)]["planned"] == 0  # the cancelled audit's days do not count
    assert rows[D(2025, 12, 1)] == {
        "month": D(2025, 12, 1),
        "planned": Decimal("1.5"),
        "delivered": Decimal("1.5"),
    }
    assert rows[D(2026, 1, 1)]["planned"] == 2 and rows[D(2026, 1, 1)]["delivered"] == 0
    assert rows[D(2026, 2, 1)]["planned"] == Decimal("4.5")
    assert rows[D(2026, 2, 1)]["delivered"] == Decimal("4.5")
    assert rows[D(2026, 4, 1)]["planned"] == Decimal("2.5")


def test_auditor_workload(known, auditor, auditor2):
    rows = auditor_workload(first_monday=D(2026, 3, 9), weeks=8)
    by_id = {r["auditor_id"]: r for r in rows}
    assert by_id[auditor.pk]["weeks"] == [3, 0, 0, 0, 0, 0, 0, 0]  # cancelled and leave: no
    assert by_id[auditor2.pk]["weeks"] == [3, 2, 0, 0, 0, 0, 0, 0]  # Fri-Sun, then Mon-Tue
    assert [r["auditor_id"] for r in rows] == [auditor2.pk, auditor.pk]  # busiest first


def test_decision_times(known):
    rows = decision_times(since=D(2024, 4, 1), until=D(2026, 4, 1))
    assert rows == [{"quarter": D(2025, 4, 1), "count": 3, "median": 140, "p90": 172.0}]


def test_percentile_interpolates_like_postgresql():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([100, 140, 180], 0.9) == pytest.approx(172)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5


# -- the page -------------------------------------------------------------------------------------
def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("workspace:login") in response["Location"] or "login" in response["Location"]


def test_auditors_are_refused(as_auditor, known):
    assert as_auditor.get(URL).status_code == 403
    assert as_auditor.get(URL, {"format": "csv", "chart": "states"}).status_code == 403


def test_no_role_is_refused(db):
    assert signed_in(UserFactory(username="nobody")).get(URL).status_code == 403


@pytest.mark.parametrize("who", ["as_staff", "as_decider"])
def test_staff_and_deciders_see_every_chart_with_its_table(who, known, request):
    html = request.getfixturevalue(who).get(URL).content.decode()
    for name in ("states", "surveillance", "overdue", "audit_days", "workload", "decision_time"):
        assert f'data-chart="chart-{name}"' in html
        assert f'id="chart-{name}" type="application/json"' in html
        assert f"?format=csv&amp;chart={name}" in html
        assert f"?format=xlsx&amp;chart={name}" in html
    assert "chart-4.6.2.umd.min.js" in html
    assert "Certifications by state" in html
    assert '<th scope="row">Active</th><td class="num">3</td>' in html
    assert '<th scope="row">Total</th><td class="num">6</td>' in html
    assert '<th scope="row">2025 Q2</th><td class="num">3</td><td class="num">140</td>' in html
    assert "Figures as of" in html


def test_chart_config_holds_the_table_numbers(as_staff, known):
    response = as_staff.get(URL)
    charts = {c.name: c for c in response.context["charts"]}
    surveillance = charts["surveillance"]
    assert surveillance.config["data"]["labels"][0] == "2025-04"
    assert surveillance.config["data"]["labels"][-1] == "2026-06"
    due = surveillance.config["data"]["datasets"][0]["data"]
    assert due == [row[1] for row in surveillance.rows]
    overdue = charts["overdue"]
    assert [row[0] for row in overdue.rows][-2:] == ["2026-02-28", "2026-03-10"]
    assert [row[1] for row in overdue.rows][-5:] == [1, 0, 1, 1, 1]
    days = {row[0]: row[1:] for row in charts["audit_days"].rows}
    assert days["2026-02"] == [4.5, 4.5]
    workload = charts["workload"]
    assert workload.headers[1] == "2026-03-09" and len(workload.headers) == 10
    html = response.content.decode()
    start = html.index('id="chart-states" type="application/json">') + len(
        'id="chart-states" type="application/json">'
    )
    config = json.loads(html[start : html.index("</script>", start)])
    assert config["type"] == "bar"
    assert config["data"]["datasets"][0]["data"][:2] == [2, 0]  # applied, under review


def test_page_in_chinese(known, staff):
    client = signed_in(staff)
    html = client.get("/zh-hans" + URL).content.decode()
    assert 'lang="zh-hans"' in html
    # (The new strings' translations are compiled by the lead: /tmp/plan/po/DASH.po.)
    assert '<th scope="row">有效</th><td class="num">3</td>' in html


def test_empty_database_shows_zeros_not_errors(as_staff):
    response = as_staff.get(URL)
    assert response.status_code == 200
    assert "Nothing to show in this period." in response.content.decode()


def test_export_csv_and_xlsx(as_staff, known):
    response = as_staff.get(URL, {"format": "csv", "chart": "states"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="dashboard-states-2026-03-10.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["State", "Certifications"]
    assert ["Active", "3"] in rows and ["Total", "6"] in rows
    response = as_staff.get(URL, {"format": "xlsx", "chart": "decision_time"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0] == ("Quarter", "Decisions", "Median (days)", "90th percentile (days)")
    assert values[1] == ("2025 Q2", 3, 140, 172)


def test_export_of_an_unknown_chart_is_404(as_staff, db):
    assert as_staff.get(URL, {"format": "csv", "chart": "nope"}).status_code == 404
    assert as_staff.get(URL, {"format": "csv"}).status_code == 404


def test_figures_are_cached_and_queries_constant(as_staff, known, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        first = as_staff.get(URL)
    as_of = first.context["as_of"]
    # More data, same page: the cached figures (and the export reads the same).
    cert(State.ACTIVE)
    with django_assert_max_num_queries(8):  # session and user only: the figures are cached
        again = as_staff.get(URL)
    assert again.context["as_of"] == as_of
    assert '<th scope="row">Active</th><td class="num">3</td>' in again.content.decode()
    cache.clear()
    assert '<th scope="row">Active</th><td class="num">4</td>' in as_staff.get(URL).content.decode()


def test_query_count_does_not_grow_with_the_data(as_staff, known, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as small:
        as_staff.get(URL)
    for _ in range(5):
        c = cert()
        audit(c, due_by=D(2026, 2, 1), audit_days=Decimal("1"))
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        as_staff.get(URL)
    assert len(large) == len(small)


def test_refresh_figures_fills_the_cache(as_staff, known, django_assert_max_num_queries):
    refresh_figures(TODAY)
    with django_assert_max_num_queries(8):  # the figures come from the cache
        response = as_staff.get(URL)
    assert '<th scope="row">Active</th><td class="num">3</td>' in response.content.decode()
