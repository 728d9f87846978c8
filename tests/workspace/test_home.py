"""The home page: my work by role, with counts, links and the most urgent rows, computed live
from the data (no reminder rows exist in these tests). Rows are written directly in the state
each line is about (the lifecycle itself is tested elsewhere); "today" is pinned."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.models import (
    Audit,
    AuditKind,
    AuditRole,
    AuditState,
    Booking,
    BookingKind,
    Finding,
    FindingState,
    Grade,
)
from certificates.models import Certification, State
from clients.models import Penalty
from core.dates import add_months
from tests.factories import ApplicationFactory, ClientFactory, UserFactory, dual_role_user, standard

from .conftest import signed_in

pytestmark = pytest.mark.django_db

T = datetime.date(2026, 3, 2)
D = datetime.timedelta


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("workspace.views.home.local_today", lambda: T)
    return T


# -- Rows in a given state -------------------------------------------------------------------------


def cert(state, *, name=None, application=None, **fields):
    client = ClientFactory(**({"legal_name": name} if name else {}))
    if application is None:
        application = ApplicationFactory(client=client, received_on=T - D(days=20))
    else:
        application.client = client
        application.save()
    application.standards.add(standard())
    fields.setdefault("state_since", T - D(days=10))
    return Certification.objects.create(
        client=client,
        standard=standard(),
        application=application,
        state=state,
        scope="IT services",
        **fields,
    )


def app(documents=True, **fields):
    fields.setdefault("received_on", T - D(days=20))
    return ApplicationFactory(client=ClientFactory(), documents=documents, **fields)


def audit(
    certification,
    *,
    state=AuditState.PLANNED,
    kind=AuditKind.SURVEILLANCE,
    start=T,
    leader=None,
    members=(),
    **fields,
):
    a = Audit.objects.create(
        certification=certification,
        kind=kind,
        state=state,
        cycle=certification.cycle,
        planned_start=start,
        planned_end=start + D(days=1),
        team_leader=leader,
        **fields,
    )
    a.members.set(members)
    return a


def finding(a, *, grade=Grade.MINOR, state=FindingState.OPEN, raised=T - D(days=40)):
    f = Finding(audit=a, grade=grade, description="x", raised_on=raised, state=state)
    f.set_deadlines()
    f.save()
    return f


def lines(response) -> dict:
    """{(section, line): line} of a home page response."""
    return {
        (section.key, line.key): line
        for section in response.context["sections"]
        for line in section.lines
    }


def titles(line) -> list[str]:
    return [item.title for item in line.items]


# -- Who sees what ---------------------------------------------------------------------------------


def test_anonymous_goes_to_login(client):
    response = client.get("/work/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_each_role_sees_its_sections(staff, decider, auditor, as_staff, as_decider, as_auditor):
    assert [s.key for s in as_staff.get("/work/").context["sections"]] == ["staff"]
    assert [s.key for s in as_decider.get("/work/").context["sections"]] == ["decider"]
    assert [s.key for s in as_auditor.get("/work/").context["sections"]] == ["auditor"]
    dual = dual_role_user("dual")
    assert [s.key for s in signed_in(dual).get("/work/").context["sections"]] == [
        "decider",
        "auditor",
    ]


def test_a_user_without_a_workspace_role_is_refused():
    nobody = UserFactory(username="nobody")
    assert signed_in(nobody).get("/work/").status_code == 403


# -- Staff -----------------------------------------------------------------------------------------


def test_staff_applications_to_review_and_intake(as_staff):
    complete = cert(State.APPLIED, name="完整申请公司")
    missing = cert(State.UNDER_REVIEW, name="缺文件公司", application=app(documents=False))
    unchecked = cert(
        State.APPLIED, name="未核营业执照公司", application=app(legal_registration_checked=False)
    )
    short = cert(
        State.APPLIED,
        name="运行不足三个月公司",
        application=app(system_operating_since=T - D(days=60)),
    )
    penalised = cert(State.APPLIED, name="有处罚公司")
    Penalty.objects.create(
        client=penalised.client, decided_on=T - D(days=100), authority="市场监管局", decision="罚款"
    )
    cert(State.ACCEPTED, name="已受理公司")
    cert(State.REJECTED, name="不予受理公司")

    response = as_staff.get("/work/")
    got = lines(response)
    review = got["staff", "applications_to_review"]
    assert review.count == 5
    assert set(titles(review)) == {
        c.client.legal_name for c in (complete, missing, unchecked, short, penalised)
    }
    incomplete = got["staff", "intake_incomplete"]
    assert incomplete.count == 4
    assert "完整申请公司" not in titles(incomplete)
    row = next(i for i in incomplete.items if i.title == "缺文件公司")
    assert any("documents missing" in tag for tag in row.tags)
    assert row.url == f"/work/applications/{missing.application_id}/" or row.url is None
    # The SQL says what Application.intake_problems says, for each of them.
    for c in (complete, missing, unchecked, short, penalised):
        problems = c.application.intake_problems(standard=c.standard)
        assert bool(problems) == (c.client.legal_name in titles(incomplete)), (c, problems)
    assert "缺文件公司" in response.content.decode()


@pytest.mark.parametrize(
    "since, received, complete",
    [
        (datetime.date(2025, 11, 30), datetime.date(2026, 2, 28), True),  # clamped month end
        (datetime.date(2025, 11, 30), datetime.date(2026, 2, 27), False),
        (datetime.date(2025, 12, 2), datetime.date(2026, 3, 2), True),  # exactly 3 months
        (datetime.date(2025, 12, 3), datetime.date(2026, 3, 2), False),
    ],
)
def test_operating_months_as_the_model_counts_them(as_staff, since, received, complete):
    c = cert(
        State.APPLIED,
        application=app(
            received_on=received,
            system_operating_since=since,
            internal_audit_on=since,
            management_review_on=since,
        ),
    )
    assert (not c.application.intake_problems(standard=c.standard)) == complete
    got = lines(as_staff.get("/work/"))
    assert got["staff", "intake_incomplete"].count == (0 if complete else 1)


def test_staff_surveillance_overdue_and_due(as_staff, auditor):
    cert(State.ACTIVE, name="监督逾期公司", next_surveillance_due=T - D(days=20))
    later = cert(State.ACTIVE, name="监督逾期较短公司", next_surveillance_due=T - D(days=2))
    held = cert(State.ACTIVE, name="监督进行中公司", next_surveillance_due=T - D(days=5))
    audit(held, state=AuditState.IN_PROGRESS, start=T - D(days=1), leader=auditor)
    soon = cert(State.ACTIVE, name="监督将到期公司", next_surveillance_due=T + D(days=30))
    planned = cert(State.ACTIVE, name="已安排监督公司", next_surveillance_due=T + D(days=60))
    audit(planned, start=T + D(days=40), leader=auditor)
    cert(State.ACTIVE, name="监督尚远公司", next_surveillance_due=T + D(days=200))
    cert(State.SUSPENDED, name="暂停公司", next_surveillance_due=T - D(days=20))

    response = as_staff.get("/work/")
    got = lines(response)
    overdue = got["staff", "surveillance_overdue"]
    assert overdue.count == 2
    assert titles(overdue) == ["监督逾期公司", "监督逾期较短公司"]  # most overdue first
    assert overdue.items[0].status == "20 days overdue"
    assert overdue.items[0].tone == "bad"
    assert overdue.url is None or overdue.url.endswith("?due=overdue")
    due = got["staff", "surveillance_due"]
    assert titles(due) == ["监督将到期公司", "已安排监督公司"]
    assert due.items[0].status == "in 30 days"
    assert due.items[1].tags == ["audit planned"]
    assert soon and later
    html = response.content.decode()
    assert html.index("监督逾期公司") < html.index("监督将到期公司")


def test_staff_suspensions_audits_reports_findings_recertification(as_staff, auditor):
    cert(State.SUSPENDED, name="暂停已过期限公司", suspension_deadline=T - D(days=3))
    cert(State.SUSPENDED, name="暂停期限临近公司", suspension_deadline=T + D(days=10))
    cert(State.SUSPENDED, name="暂停期限尚远公司", suspension_deadline=T + D(days=100))
    active = cert(State.ACTIVE, name="审核公司")
    no_team = audit(active, start=T + D(days=5))
    audit(active, start=T + D(days=50), leader=auditor, dates_confirmed=False)
    reported = audit(
        active,
        state=AuditState.REPORT_SUBMITTED,
        start=T - D(days=9),
        leader=auditor,
        actual_start=T - D(days=9),
        actual_end=T - D(days=8),
    )
    finding(reported, raised=T - D(days=40))  # plan due 10 days ago
    finding(reported, raised=T - D(days=5))  # plan due in 25 days
    finding(reported, grade=Grade.OBSERVATION, state=FindingState.NOTED)
    recert = cert(
        State.ACTIVE,
        name="再认证待策划公司",
        expiry_date=T + D(days=60),
        cycle_start=T - D(days=1000),
    )
    planned = cert(
        State.ACTIVE,
        name="再认证已安排公司",
        expiry_date=T + D(days=60),
        cycle_start=T - D(days=1000),
    )
    audit(planned, kind=AuditKind.RECERTIFICATION, start=T + D(days=20), leader=auditor)
    cert(
        State.ACTIVE,
        name="有效期尚远公司",
        expiry_date=T + D(days=400),
        cycle_start=T - D(days=700),
    )

    got = lines(as_staff.get("/work/"))
    suspensions = got["staff", "suspension_deadline"]
    assert titles(suspensions) == ["暂停已过期限公司", "暂停期限临近公司"]
    assert [i.tone for i in suspensions.items] == ["bad", "warn"]
    assert got["staff", "audits_without_team"].count == 1
    assert got["staff", "audits_without_team"].items[0].status == "in 5 days"
    url = got["staff", "audits_without_team"].items[0].url
    assert url is None or str(no_team.pk) in url
    assert got["staff", "dates_unconfirmed"].count == 1
    assert got["staff", "reports_to_close"].count == 1
    assert got["staff", "reports_to_close"].items[0].status == "waiting 8 days"
    assert got["staff", "findings_overdue"].count == 1
    assert got["staff", "findings_overdue"].items[0].status == "10 days overdue"
    assert titles(got["staff", "recertification_to_plan"]) == ["再认证待策划公司"]
    assert recert


def test_counts_are_bounded_and_queries_constant(as_staff, settings):
    for n in range(12):
        cert(State.ACTIVE, name=f"逾期{n:02d}", next_surveillance_due=T - D(days=30 - n))
    with CaptureQueriesContext(connection) as few:
        first = as_staff.get("/work/")
    for n in range(12, 30):
        cert(State.ACTIVE, name=f"逾期{n:02d}", next_surveillance_due=T - D(days=30 - n))
        cert(State.APPLIED, name=f"申请{n:02d}")
    with CaptureQueriesContext(connection) as many:
        second = as_staff.get("/work/")
    assert lines(first)["staff", "surveillance_overdue"].count == 12
    overdue = lines(second)["staff", "surveillance_overdue"]
    assert overdue.count == 30
    assert len(overdue.items) == 10
    assert "See all 30" in second.content.decode()
    assert len(many.captured_queries) <= len(few.captured_queries) + 1  # one more count
    assert len(many.captured_queries) < 40


def test_count_shows_999_plus_beyond_the_limit(as_staff, monkeypatch):
    monkeypatch.setattr("workspace.views.home_lines.COUNT_LIMIT", 11)
    for n in range(12):
        cert(State.ACTIVE, next_surveillance_due=T - D(days=n + 1))
    overdue = lines(as_staff.get("/work/"))["staff", "surveillance_overdue"]
    assert overdue.capped and overdue.shown_count == "10+"


# -- Decision makers -------------------------------------------------------------------------------


def test_decider_lines(decider, as_decider):
    other = cert(State.DECISION_PENDING, name="待决定公司", state_since=T - D(days=30))
    mine = cert(
        State.DECISION_PENDING,
        name="指派给我公司",
        state_since=T - D(days=2),
        decision_maker=decider,
    )
    cert(State.ACTIVE, name="监督逾期公司", next_surveillance_due=T - D(days=20))
    cert(State.SUSPENDED, name="暂停已过期限公司", suspension_deadline=T - D(days=3))
    cert(State.SUSPENDED, name="暂停期限临近公司", suspension_deadline=T + D(days=10))
    recent = cert(State.EXPIRED, name="刚过期公司", expiry_date=T - D(days=30))
    closing = cert(
        State.EXPIRED, name="恢复期将结束公司", expiry_date=add_months(T, -6) + D(days=10)
    )
    cert(State.EXPIRED, name="恢复期已过公司", expiry_date=add_months(T, -6) - D(days=1))
    unrecorded = cert(State.ACTIVE, name="过期未记录公司", expiry_date=T - D(days=5))

    response = as_decider.get("/work/")
    got = lines(response)
    pending = got["decider", "awaiting_decision"]
    assert pending.count == 2
    assert titles(pending) == ["指派给我公司", "待决定公司"]  # mine first
    assert pending.items[0].tags == ["assigned to you"]
    assert pending.hint == "1 assigned to you"
    assert titles(got["decider", "suspension_to_consider"]) == ["监督逾期公司"]
    assert titles(got["decider", "suspension_passed"]) == ["暂停已过期限公司"]
    assert titles(got["decider", "suspension_near"]) == ["暂停期限临近公司"]
    restore = got["decider", "restoration_closing"]
    # The window closing soonest first; past the window, only a new stage 2 leads back.
    assert titles(restore) == ["恢复期将结束公司", "刚过期公司", "过期未记录公司"]
    assert restore.items[0].day == closing.restoration_window_end()
    assert restore.items[0].status == "closes in 10 days"
    assert restore.items[0].tone == "bad"
    assert restore.items[1].tone == ""
    assert other and mine and recent and unrecorded


# -- Auditors --------------------------------------------------------------------------------------


@pytest.fixture
def audits_of_two(auditor, auditor2):
    mine = cert(State.STAGE1, name="我领队公司")
    member = cert(State.ACTIVE, name="我是组员公司")
    theirs = cert(State.ACTIVE, name="别人的客户公司")
    expert = cert(State.ACTIVE, name="技术专家公司")
    a_mine = audit(mine, kind=AuditKind.STAGE1, start=T + D(days=7), leader=auditor)
    a_member = audit(
        member,
        state=AuditState.IN_PROGRESS,
        start=T - D(days=1),
        leader=auditor2,
        members=[auditor],
    )
    a_theirs = audit(theirs, start=T + D(days=3), leader=auditor2)
    a_expert = audit(
        expert,
        state=AuditState.IN_PROGRESS,
        start=T - D(days=1),
        leader=auditor2,
        members=[auditor],
    )
    Booking.objects.create(
        auditor=auditor,
        kind=BookingKind.AUDIT,
        audit=a_expert,
        role=AuditRole.TECHNICAL_EXPERT,
        starts_on=T - D(days=1),
        ends_on=T,
    )
    a_leading = audit(
        cert(State.ACTIVE, name="待交报告公司"),
        state=AuditState.IN_PROGRESS,
        start=T - D(days=3),
        leader=auditor,
    )
    finding(a_member, raised=T - D(days=20))  # plan due in 10 days
    finding(a_member, grade=Grade.MAJOR, state=FindingState.PLAN_ACCEPTED)
    finding(a_member, grade=Grade.MAJOR, state=FindingState.CORRECTED)
    finding(a_theirs, raised=T - D(days=20))
    finding(a_expert, raised=T - D(days=20))
    return a_mine, a_member, a_theirs, a_leading


def test_auditor_sees_only_own_audits(as_auditor, audits_of_two):
    a_mine = audits_of_two[0]
    response = as_auditor.get("/work/")
    got = lines(response)
    nxt = got["auditor", "my_next_audits"]
    assert titles(nxt) == ["待交报告公司", "我是组员公司", "技术专家公司", "我领队公司"]
    assert nxt.items[-1].tags == ["Team leader"]
    assert nxt.items[1].tags == ["Team member"]
    assert nxt.items[-1].url == f"/work/audits/{a_mine.pk}/"
    assert as_auditor.get(nxt.items[-1].url).status_code == 200  # one click to the work
    assert titles(got["auditor", "reports_to_submit"]) == ["待交报告公司"]
    plans = got["auditor", "plans_to_accept"]
    assert titles(plans) == ["我是组员公司"]  # not as technical expert, not another's audit
    assert plans.items[0].status == "in 10 days"
    assert got["auditor", "corrections_to_record"].count == 1
    assert got["auditor", "corrections_to_verify"].count == 1
    assert "别人的客户公司" not in response.content.decode()


def test_other_auditor_sees_theirs_not_mine(auditor2, audits_of_two):
    response = signed_in(auditor2).get("/work/")
    got = lines(response)
    assert "别人的客户公司" in titles(got["auditor", "my_next_audits"])
    assert "我领队公司" not in response.content.decode()
    assert "待交报告公司" not in response.content.decode()
    assert titles(got["auditor", "plans_to_accept"]) == [
        "我是组员公司",
        "别人的客户公司",
        "技术专家公司",
    ]


def test_an_auditor_sees_no_office_lines(as_auditor, audits_of_two):
    cert(State.APPLIED, name="申请公司")
    cert(State.ACTIVE, name="监督逾期公司", next_surveillance_due=T - D(days=20))
    html = as_auditor.get("/work/").content.decode()
    assert "申请公司" not in html
    assert "监督逾期公司" not in html


# -- Languages -------------------------------------------------------------------------------------


def test_chinese_page(as_staff):
    cert(State.ACTIVE, name="监督逾期公司", next_surveillance_due=T - D(days=20))
    response = as_staff.get("/zh-hans/work/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "监督审核已逾期" in html  # "Surveillance overdue", already in the catalogue
    assert "监督逾期公司" in html


def test_mine_first_among_many_files_awaiting_decision(decider, as_decider):
    for n in range(12):
        cert(State.DECISION_PENDING, name=f"待决定{n:02d}", state_since=T - D(days=40 - n))
    cert(
        State.DECISION_PENDING,
        name="指派给我公司",
        state_since=T - D(days=1),
        decision_maker=decider,
    )
    pending = lines(as_decider.get("/work/"))["decider", "awaiting_decision"]
    assert pending.count == 13
    assert titles(pending) == ["指派给我公司"] + [f"待决定{n:02d}" for n in range(9)]
    assert pending.hint == "1 assigned to you"


def test_every_line_and_row_leads_somewhere_that_opens(
    people, as_staff, as_decider, as_auditor, audits_of_two
):
    """Each line is one click from where its work gets done: its link and its rows' links
    open (for the role the line is for)."""
    cert(State.APPLIED, name="申请公司", application=app(documents=False))
    cert(State.ACTIVE, name="监督逾期公司", next_surveillance_due=T - D(days=20))
    cert(State.ACTIVE, name="监督将到期公司", next_surveillance_due=T + D(days=20))
    cert(State.SUSPENDED, name="暂停期限临近公司", suspension_deadline=T + D(days=10))
    cert(State.SUSPENDED, name="暂停已过期限公司", suspension_deadline=T - D(days=3))
    cert(State.DECISION_PENDING, name="待决定公司")
    cert(State.EXPIRED, name="刚过期公司", expiry_date=T - D(days=30))
    opened = 0
    for client in (as_staff, as_decider, as_auditor):
        for line in lines(client.get("/work/")).values():
            urls = [line.url] + [item.url for item in line.items]
            for url in filter(None, urls):
                assert client.get(url).status_code == 200, (line.key, url)
                opened += 1
    assert opened > 20


def test_every_section_for_someone_holding_every_role(django_assert_max_num_queries):
    from django.contrib.auth.models import User

    root = User.objects.create_superuser("root", "root@example.com", "x")
    for n in range(12):
        cert(State.ACTIVE, next_surveillance_due=T - D(days=n + 1))
        cert(State.DECISION_PENDING)
    with django_assert_max_num_queries(60):
        response = signed_in(root).get("/work/")
    assert [s.key for s in response.context["sections"]] == ["staff", "decider", "auditor"]
    got = lines(response)
    assert got["staff", "surveillance_overdue"].count == 12
    assert got["decider", "awaiting_decision"].count == 12


def _list_rows(client, url) -> list:
    response = client.get(url)
    assert response.status_code == 200, url
    return list(response.context["page"].rows)


def test_each_line_links_to_a_list_of_exactly_the_rows_it_counts(
    monkeypatch, auditor, auditor2, as_staff, as_decider, as_auditor
):
    """The count of every line equals the number of rows of the list it links to (one
    finding per audit here, so the finding lines count as many findings as the list shows
    audits). Lines that are not there do not count."""
    monkeypatch.setattr("workspace.views.lists.local_today", lambda: T)
    cert(State.APPLIED, name="申请公司", application=app(documents=False))
    cert(State.ACTIVE, name="监督逾期公司", next_surveillance_due=T - D(days=20))
    cert(State.ACTIVE, name="监督将到期公司", next_surveillance_due=T + D(days=20))
    cert(State.SUSPENDED, name="暂停期限临近公司", suspension_deadline=T + D(days=10))
    cert(State.SUSPENDED, name="暂停已过期限公司", suspension_deadline=T - D(days=3))
    cert(State.SUSPENDED, name="暂停期限尚远公司", suspension_deadline=T + D(days=100))
    cert(State.DECISION_PENDING, name="待决定公司")
    cert(State.EXPIRED, name="刚过期公司", expiry_date=T - D(days=30))
    cert(
        State.ACTIVE,
        name="再认证待策划公司",
        expiry_date=T + D(days=60),
        cycle_start=T - D(days=1000),
    )
    # A recertification file waiting for its decision (active, closed recertification audit).
    recert = cert(State.ACTIVE, name="再认证待决定公司", expiry_date=T + D(days=30))
    audit(
        recert,
        kind=AuditKind.RECERTIFICATION,
        state=AuditState.CLOSED,
        start=T - D(days=30),
        leader=auditor2,
    )
    active = cert(State.ACTIVE, name="审核公司")
    audit(active, start=T + D(days=5))  # no team
    audit(active, start=T + D(days=50), leader=auditor, dates_confirmed=False)
    reported = audit(
        active,
        state=AuditState.REPORT_SUBMITTED,
        start=T - D(days=9),
        leader=auditor,
        actual_start=T - D(days=9),
        actual_end=T - D(days=8),
    )
    finding(reported, raised=T - D(days=40))  # plan overdue, to accept
    closed = audit(active, state=AuditState.CLOSED, start=T - D(days=60), leader=auditor2)
    finding(closed, grade=Grade.MAJOR, state=FindingState.PLAN_ACCEPTED, raised=T - D(days=80))
    leading = audit(
        cert(State.ACTIVE, name="待交报告公司"),
        state=AuditState.IN_PROGRESS,
        start=T - D(days=3),
        leader=auditor,
    )
    finding(leading, grade=Grade.MAJOR, state=FindingState.PLAN_ACCEPTED, raised=T - D(days=2))
    member = audit(
        cert(State.ACTIVE, name="我是组员公司"),
        state=AuditState.IN_PROGRESS,
        start=T - D(days=1),
        leader=auditor2,
        members=[auditor],
    )
    finding(member, grade=Grade.MAJOR, state=FindingState.CORRECTED, raised=T - D(days=2))

    checked = set()
    for client in (as_staff, as_decider, as_auditor):
        for key, line in lines(client.get("/work/")).items():
            if not line.url or "/work/" not in line.url:
                continue
            rows = _list_rows(client, line.url)
            assert line.count == len(rows), (key, line.url, line.count, len(rows))
            checked.add(key)
    assert {
        ("staff", "surveillance_overdue"),
        ("staff", "suspension_deadline"),
        ("staff", "findings_overdue"),
        ("staff", "reports_to_close"),
        ("staff", "audits_without_team"),
        ("staff", "dates_unconfirmed"),
        ("staff", "applications_to_review"),
        ("staff", "intake_incomplete"),
        ("staff", "surveillance_due"),
        ("staff", "recertification_to_plan"),
        ("decider", "awaiting_decision"),
        ("decider", "suspension_passed"),
        ("decider", "suspension_near"),
        ("decider", "restoration_closing"),
        ("auditor", "my_next_audits"),
        ("auditor", "reports_to_submit"),
        ("auditor", "plans_to_accept"),
        ("auditor", "corrections_to_record"),
        ("auditor", "corrections_to_verify"),
    } <= checked
    got = lines(as_staff.get("/work/"))
    assert got["staff", "findings_overdue"].count == 2  # one on a closed audit
    assert got["staff", "suspension_deadline"].count == 2
    assert lines(as_decider.get("/work/"))["decider", "awaiting_decision"].count == 2


def test_staff_start_a_new_client_from_home(people):
    """The first step of every journey is one click from home, for staff only."""
    new = reverse("workspace:client_new")
    home = reverse("workspace:home")
    assert f'href="{new}"' in signed_in(people.staff).get(home).content.decode()
    for user in (people.decider, people.auditor):
        assert f'href="{new}"' not in signed_in(user).get(home).content.decode()
