"""My reminders page: my own reminders only, most urgent first, acknowledge one or several
(only mine), pages without a count, CSV / XLSX exports, the count on the home page."""

import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from openpyxl import load_workbook

from audits.models import Audit, AuditKind, AuditState
from certificates.models import Certification, State
from reminders.models import Reminder, ReminderKind
from tests.factories import ApplicationFactory, ClientFactory, UserFactory, standard

from .conftest import signed_in

pytestmark = pytest.mark.django_db

T = datetime.date(2026, 3, 2)
D = datetime.timedelta


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("workspace.views.reminders.local_today", lambda: T)
    monkeypatch.setattr("workspace.views.home.local_today", lambda: T)
    return T


def certification(name):
    client = ClientFactory(legal_name=name)
    application = ApplicationFactory(client=client, received_on=T - D(days=400))
    return Certification.objects.create(
        client=client,
        standard=standard(),
        application=application,
        state=State.ACTIVE,
        scope="IT services",
        certificate_number=f"CB-{client.pk:05d}",
    )


def remind(subject, user, kind, due, **fields):
    return Reminder.objects.create(
        kind=kind,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        due_date=due,
        recipient=user,
        **fields,
    )


@pytest.fixture
def mine(staff, decider):
    """Three reminders of staff's (due later, overdue, due soon), one of the decider's."""
    later = remind(certification("远期公司"), staff, ReminderKind.SURVEILLANCE_DUE, T + D(days=80))
    overdue = remind(
        certification("逾期公司"), staff, ReminderKind.SURVEILLANCE_OVERDUE, T - D(days=12)
    )
    soon = remind(certification("将到期公司"), staff, ReminderKind.SURVEILLANCE_DUE, T + D(days=5))
    theirs = remind(
        certification("别人的提醒公司"), decider, ReminderKind.SUSPENSION_PROPOSED, T - D(days=1)
    )
    return later, overdue, soon, theirs


def test_anonymous_goes_to_login(client):
    response = client.get("/work/reminders/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post("/work/reminders/", {"ids": ["1"]})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_no_role_is_refused(mine):
    nobody = signed_in(UserFactory(username="nobody"))
    assert nobody.get("/work/reminders/").status_code == 403
    assert nobody.post("/work/reminders/", {"one": str(mine[0].pk)}).status_code == 403
    assert not Reminder.objects.filter(acknowledged_at__isnull=False).exists()


def test_most_urgent_first_and_only_mine(as_staff, mine):
    later, overdue, soon, _theirs = mine
    response = as_staff.get("/work/reminders/")
    assert [e.pk for e in response.context["entries"]] == [overdue.pk, soon.pk, later.pk]
    html = response.content.decode()
    assert html.index("逾期公司") < html.index("将到期公司") < html.index("远期公司")
    assert "别人的提醒公司" not in html
    first = response.context["entries"][0]
    assert first.status == "12 days overdue" and first.tone == "bad"
    assert first.url == f"/work/certifications/{overdue.object_id}/" or first.url is None
    assert "Surveillance was due by 2026-02-18" in first.sentence


def test_decision_maker_link_goes_to_the_step_asked_for(as_decider, mine):
    theirs = mine[3]
    entry = as_decider.get("/work/reminders/").context["entries"][0]
    assert entry.pk == theirs.pk
    assert entry.url in (
        f"/work/certifications/{theirs.object_id}/do/suspend/",
        f"/work/certifications/{theirs.object_id}/",
        None,
    )


def test_acknowledge_one_and_several(staff, as_staff, mine):
    later, overdue, soon, _theirs = mine
    response = as_staff.post("/work/reminders/", {"one": str(overdue.pk), "ids": [str(soon.pk)]})
    assert response.status_code == 302
    overdue.refresh_from_db()
    soon.refresh_from_db()
    assert overdue.acknowledged_by == staff and overdue.acknowledged_at is not None
    assert soon.acknowledged_at is None  # the button pressed, not the ticked boxes
    remaining = as_staff.get("/work/reminders/").context["entries"]
    assert [e.pk for e in remaining] == [soon.pk, later.pk]
    as_staff.post("/work/reminders/", {"ids": [str(soon.pk), str(later.pk)]})
    assert not Reminder.objects.filter(recipient=staff, acknowledged_at__isnull=True).exists()
    assert as_staff.get("/work/reminders/").context["entries"] == []
    acknowledged = as_staff.get("/work/reminders/?show=acknowledged").context["entries"]
    assert {e.pk for e in acknowledged} == {overdue.pk, soon.pk, later.pk}


def test_cannot_acknowledge_another_persons_reminder(staff, as_staff, mine):
    theirs = mine[3]
    response = as_staff.post("/work/reminders/", {"ids": [str(theirs.pk)], "one": ""})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None


def test_acknowledge_with_htmx_returns_the_row(as_staff, mine):
    overdue = mine[1]
    response = as_staff.post(
        "/work/reminders/?show=all", {"one": str(overdue.pk)}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'data-reminder="{overdue.pk}"' in response.content.decode()
    assert "Acknowledged by" in response.content.decode()
    gone = as_staff.post("/work/reminders/", {"one": str(mine[2].pk)}, HTTP_HX_REQUEST="true")
    assert gone.content.decode().strip() == ""  # the open list no longer shows it


def test_filter_by_kind(as_staff, mine):
    response = as_staff.get("/work/reminders/?kind=surveillance_overdue")
    assert [e.pk for e in response.context["entries"]] == [mine[1].pk]
    response = as_staff.get("/work/reminders/?kind=nonsense&show=nonsense")
    assert len(response.context["entries"]) == 3


def test_paging_without_count(staff, as_staff, django_assert_max_num_queries):
    cert = certification("很多提醒公司")
    for n in range(55):
        remind(cert, staff, ReminderKind.SURVEILLANCE_DUE, T + D(days=n), lead_days=n)
    with django_assert_max_num_queries(12) as queries:
        first = as_staff.get("/work/reminders/")
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert len(first.context["entries"]) == 50
    assert first.context["page"].has_next
    second = as_staff.get("/work/reminders/?page=2")
    assert len(second.context["entries"]) == 5
    assert second.context["entries"][0].reminder.due_date == T + D(days=50)


def test_exports(as_staff, mine):
    csv = as_staff.get("/work/reminders/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Kind,Subject")
    assert "逾期公司" in lines[1] and "2026-02-18" in lines[1]
    assert len(lines) == 4  # header + my three
    xlsx = as_staff.get("/work/reminders/?format=xlsx&kind=surveillance_due")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    assert "将到期公司" in rows[1][1]


def test_audit_reminder_for_an_auditor(auditor, as_auditor):
    cert = certification("审核提醒公司")
    audit = Audit.objects.create(
        certification=cert,
        kind=AuditKind.SURVEILLANCE,
        state=AuditState.PLANNED,
        planned_start=T + D(days=3),
        planned_end=T + D(days=4),
        team_leader=auditor,
    )
    remind(audit, auditor, ReminderKind.AUDIT_UPCOMING, audit.planned_start, lead_days=7)
    entry = as_auditor.get("/work/reminders/").context["entries"][0]
    assert "审核提醒公司" in entry.subject
    assert entry.url in (f"/work/audits/{audit.pk}/", f"/auditor/audits/{audit.pk}/")
    assert entry.status == "in 3 days"


def test_home_counts_my_open_reminders(as_staff, mine):
    response = as_staff.get("/work/")
    assert response.context["reminders_count"] == "3"
    assert response.context["reminders_overdue"] == "1"
    assert "/work/reminders/" in response.content.decode()


def test_chinese_page(as_staff, mine):
    response = as_staff.get("/zh-hans/work/reminders/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "监督审核已逾期" in html  # the kind, from the catalogue
    assert "逾期公司" in html
