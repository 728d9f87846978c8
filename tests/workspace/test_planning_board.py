"""The planning board (workspace:planning): auditors x weeks, audits placed in their weeks
(tentative or confirmed), unavailability, what needs a team or is late, the start week and
number of weeks chosen, roles, and queries bounded by the weeks shown."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.models import Audit
from audits.selectors.planning import parse_week, planning_board, week_start
from core.dates import local_today
from tests.audits.factories import leave, make_auditor

from .conftest import signed_in
from .test_audit_fixtures import build_audits

pytestmark = pytest.mark.django_db


@pytest.fixture
def audits(people):
    return build_audits(people)


D = datetime.date
BOARD = reverse("workspace:planning")


def week_of(day):
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def test_parse_week():
    assert parse_week("2026-W50") == D(2026, 12, 7)
    assert parse_week("2026-12-10") == D(2026, 12, 7)
    assert parse_week("nonsense") is None and parse_week("2026-W60") is None


def test_board_places_audits_unavailability_and_lists(audits, people):
    running = audits.running  # confirmed, led by people.auditor, in progress
    people.auditor.first_name, people.auditor.last_name = "建华", "王"
    people.auditor.save()
    # A day in the weeks shown that auditor2 (a member of the running audit) is not booked:
    # PostgreSQL's exclusion constraint refuses two bookings of one person on one day.
    day = next(
        running.planned_start + datetime.timedelta(days=n)
        for n in range(1, 28)
        if not people.auditor2.bookings.filter(
            starts_on__lte=running.planned_start + datetime.timedelta(days=n),
            ends_on__gte=running.planned_start + datetime.timedelta(days=n),
        ).exists()
    )
    leave(people.auditor2, day, day, note="家中有事")
    client = signed_in(people.staff)
    page = client.get(BOARD, {"start": week_of(running.planned_start), "weeks": 4}).content.decode()
    assert page.count('<th scope="col" class="week">') == 4
    # A name in another script than the page's is in its own <span lang> (core/languages.py).
    rows = dict(
        re.findall(
            r'<tr><th scope="row" class="person">(?:<span lang="[^"]+">)?([^<]+)'
            r"(?:</span>)?(.*?)</tr>",
            page,
            re.S,
        )
    )
    assert "王建华" in rows and "建华 王" not in page
    first_cell = re.findall(r"<td>(.*?)</td>", rows["王建华"], re.S)[0]
    assert reverse("workspace:audit", args=[running.pk]) in first_cell
    assert "tentative" not in first_cell  # dates confirmed
    assert "Leave" in rows["auditor2"]

    # The programme's next surveillance: no team, dates proposed; placed in the first line
    # and listed with "assign".
    planned = audits.planned
    page = client.get(BOARD, {"start": week_of(planned.planned_start)}).content.decode()
    unstaffed = re.search(r'<tr class="unstaffed">(.*?)</tr>', page, re.S).group(1)
    assert reverse("workspace:audit_team", args=[planned.pk]) in unstaffed
    listed = page.split('id="unassigned-title"')[1].split('id="late-title"')[0]
    assert planned.certification.client.legal_name in listed
    assert 'name="auto" value="1"' in listed and "Assign a team" in listed

    # Placed in a week as tentative once someone is on it with the dates still proposed.
    Audit.objects.filter(pk=planned.pk).update(team_leader=people.auditor2)
    Audit.objects.get(pk=planned.pk).bookings.create(
        auditor=people.auditor2,
        kind="audit",
        role="team_leader",
        starts_on=planned.planned_start,
        ends_on=planned.planned_end,
    )
    page = client.get(BOARD, {"start": week_of(planned.planned_start)}).content.decode()
    assert re.search(
        r'class="slot tentative" href="{}"'.format(reverse("workspace:audit", args=[planned.pk])),
        page,
    )


def test_late_audits_listed(audits, people):
    # Surveillance 2 pushed past its deadline with a reason: planned late.
    planned = audits.planned
    Audit.objects.filter(pk=planned.pk).update(
        planned_end=planned.due_by + datetime.timedelta(days=2), late_reason="Client moves"
    )
    board = planning_board(start=planned.due_by, weeks=2, today=D(2026, 12, 7))
    assert planned.pk in {a.pk for a in board.late}
    # The report-submitted audit is not open any more: not late whatever its dates.
    page = signed_in(people.staff).get(BOARD, {"start": week_of(planned.due_by)}).content.decode()
    late = page.split('id="late-title"')[1]
    assert planned.certification.client.legal_name in late and "Client moves" in late


def test_roles(audits, people):
    staff = signed_in(people.staff).get(BOARD)
    assert staff.status_code == 200
    decider = signed_in(people.decider).get(BOARD, {"start": week_of(audits.planned.planned_start)})
    assert decider.status_code == 200
    assert 'name="auto"' not in decider.content.decode()  # reads, assigns nothing
    assert signed_in(people.auditor).get(BOARD).status_code == 403
    anonymous = Client().get(BOARD)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    # Bad parameters: a warning and the default, never an error.
    page = signed_in(people.staff).get(BOARD, {"start": "soon", "weeks": "999"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "is not a week" in text and "from 1 to 26" in text
    assert text.count('<th scope="col" class="week">') == 8
    assert week_of(week_start(local_today())) in text


def test_queries_bounded_by_the_weeks(audits, people):
    client = signed_in(people.staff)
    params = {"start": week_of(audits.running.planned_start)}
    with CaptureQueriesContext(connection) as few:
        client.get(BOARD, params)
    for n in range(5):
        user = make_auditor(f"more{n}", city="上海")
        leave(user, audits.running.planned_start, audits.running.planned_end)
    with CaptureQueriesContext(connection) as many:
        page = client.get(BOARD, params).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.count("more") >= 5
    # An audit outside the weeks shown is not on the board.
    far = planning_board(start=D(2040, 1, 2), weeks=8, today=D(2026, 12, 7))
    assert not far.unassigned and not any(any(c) for r in far.rows for c in r.cells)


def test_the_board_shows_its_auditors_a_page_at_a_time(audits, people, monkeypatch):
    """The rows come AUDITORS_PER_PAGE at a time by name, and only the bookings of the
    auditors shown are read: the page costs the same for 20 auditors or 2,000."""
    from audits.selectors import planning as board_module

    monkeypatch.setattr(board_module, "AUDITORS_PER_PAGE", 1)
    running = audits.running  # led by people.auditor
    people.auditor.first_name, people.auditor.last_name = "建华", "王"
    people.auditor.save()
    start = week_start(running.planned_start)
    first = planning_board(start=start, weeks=4, today=local_today(), auditor_page=1)
    assert first.auditors_total >= 3 and first.more_auditors and len(first.rows) == 1
    pages = [
        planning_board(start=start, weeks=4, today=local_today(), auditor_page=n)
        for n in range(1, first.auditors_total + 1)
    ]
    shown = [row.person for page in pages for row in page.rows]
    assert len(shown) == len(set(shown)) == first.auditors_total  # each once, by name
    assert shown == sorted(shown, key=lambda u: (u.last_name, u.first_name, u.username))
    (theirs,) = [page for page in pages if page.rows[0].person == people.auditor]
    assert any(slot.audit == running for cell in theirs.rows[0].cells for slot in cell)
    team = {running.team_leader_id, *running.members.values_list("pk", flat=True)}
    others = [page for page in pages if page.rows[0].person.pk not in team]
    assert others
    assert not any(slot.audit == running for p in others for c in p.rows[0].cells for slot in c)
    # A page past the last shows the last; the page links keep the weeks chosen.
    beyond = planning_board(start=start, weeks=4, today=local_today(), auditor_page=99)
    assert beyond.auditor_page == beyond.auditors_total
    page = signed_in(people.staff).get(BOARD, {"weeks": 4, "auditors": 2}).content.decode()
    assert "auditors=3" in page or not beyond.more_auditors
    assert "weeks=4" in page and "auditors=1" in page
