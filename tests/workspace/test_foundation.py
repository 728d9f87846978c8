"""The workspace's shared parts: who gets in (workspace/access.py), pages without a count
(infra/paging.py), exports (infra/exports.py), names and times as people write them
(core/names.py, core/dates.py)."""

import csv
import datetime
import io
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from clients.models import Client as ClientModel
from core.dates import local_datetime_text
from core.names import full_name, person_name
from infra.exports import Column, export_response
from infra.paging import MAX_PAGE, page_number, window
from tests.factories import ClientFactory, UserFactory
from workspace.access import Role, roles_of

from .conftest import signed_in

pytestmark = pytest.mark.django_db


# -- Who gets in ----------------------------------------------------------------------------------


def test_roles_follow_the_groups(staff, auditor, decider):
    assert roles_of(staff) == {Role.STAFF}
    assert roles_of(decider) == {Role.DECIDER}
    assert Role.AUDITOR in roles_of(auditor)
    assert Role.STAFF not in roles_of(auditor)
    admin = UserFactory(username="adm", role="Administrator")
    assert roles_of(admin) == {Role.STAFF, Role.DECIDER, Role.AUDITOR}
    assert roles_of(UserFactory(username="nobody")) == frozenset()


def test_an_anonymous_visitor_is_sent_to_the_workspace_login():
    response = Client().get(reverse("workspace:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('workspace:login')}?next=/work/"


def test_a_user_without_a_role_is_refused():
    response = signed_in(UserFactory(username="nobody")).get(reverse("workspace:home"))
    assert response.status_code == 403


def test_the_root_leads_to_the_workspace():
    assert Client().get("/")["Location"] == "/work/"


def test_signing_in_lands_on_my_work(auditor):
    auditor.set_password("pw-123456-x")
    auditor.save()
    response = Client().post(
        reverse("workspace:login"), {"username": auditor.username, "password": "pw-123456-x"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:home")


def test_the_home_page_names_the_user_in_their_own_order():
    user = UserFactory(username="wang", role="CB staff", first_name="建华", last_name="王")
    page = signed_in(user).get(reverse("workspace:home")).content.decode()
    assert "王建华" in page
    assert "建华 王" not in page


def test_the_chinese_workspace_is_under_its_prefix(staff):
    page = signed_in(staff).get("/zh-hans/work/")
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in page.content.decode()


# -- Pages without a count ------------------------------------------------------------------------


def test_a_window_fetches_one_row_more_and_counts_nothing():
    ClientFactory.create_batch(5)
    rows = ClientModel.objects.order_by("pk")
    with CaptureQueriesContext(connection) as queries:
        first = window(rows, "1", per_page=2)
    assert len(queries) == 1
    assert "COUNT(" not in queries[0]["sql"].upper()
    assert queries[0]["sql"].endswith("LIMIT 3")
    assert [c.pk for c in first] == [c.pk for c in rows[:2]]
    assert first.has_next and not first.has_previous
    assert (first.first_index, first.last_index) == (1, 2)
    last = window(rows, 3, per_page=2)
    assert len(last) == 1 and not last.has_next and last.has_previous
    beyond = window(rows, 9, per_page=2)
    assert list(beyond) == [] and not beyond.has_next and beyond.first_index == 0


@pytest.mark.parametrize(
    ("value", "number"),
    [(None, 1), ("", 1), ("abc", 1), ("-3", 1), ("0", 1), ("7", 7), ("10**9", 1)],
)
def test_any_page_parameter_gives_a_page(value, number):
    assert page_number(value) == number


def test_a_huge_page_number_is_capped():
    assert page_number("999999999") == MAX_PAGE == 1_000


# -- Exports --------------------------------------------------------------------------------------

COLUMNS = [
    Column("Name", lambda r: r["name"]),
    Column("Since", lambda r: r["since"]),
    Column("Days", lambda r: r["days"]),
]
ROWS = [
    {"name": "=HYPERLINK(1)", "since": datetime.date(2026, 1, 2), "days": 3},
    {"name": "北京某公司", "since": None, "days": 1},
]


def test_csv_export_is_excel_readable_and_neutralises_formulas():
    response = export_response("csv", filename="clients", columns=COLUMNS, rows=ROWS)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert response["Content-Disposition"] == 'attachment; filename="clients.csv"'
    lines = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert lines == [
        ["Name", "Since", "Days"],
        ["'=HYPERLINK(1)", "2026-01-02", "3"],
        ["北京某公司", "", "1"],
    ]


def test_xlsx_export_keeps_dates_and_numbers_typed():
    response = export_response("xlsx", filename="clients", columns=COLUMNS, rows=ROWS)
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Name", "Since", "Days"]
    assert values[1][0] == "'=HYPERLINK(1)"
    assert values[1][1] == datetime.datetime(2026, 1, 2)  # noqa: DTZ001 (Excel has no zone)
    assert values[1][2] == 3
    assert values[2][0] == "北京某公司"


# -- Names and times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "name"),
    [
        ("建华", "王", "王建华"),
        ("Anna", "Schmidt", "Anna Schmidt"),
        ("", "", ""),
        (" 静", "李 ", "李静"),
    ],
)
def test_names_in_their_owners_order(first, last, name):
    assert full_name(first, last) == name


def test_a_user_without_a_name_is_named_by_user_name():
    assert person_name(UserFactory(username="li")) == "li"
    assert person_name(None) == ""


def test_a_stored_time_is_shown_in_the_bodys_zone_without_microseconds(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = datetime.datetime(2026, 12, 6, 21, 37, 48, 772968, tzinfo=datetime.UTC)
    assert local_datetime_text(moment) == "2026-12-07 05:37"
    assert local_datetime_text(moment, seconds=True) == "2026-12-07 05:37:48"
    assert local_datetime_text(None) == ""
    naive = datetime.datetime(2026, 1, 1, 9, 0)  # noqa: DTZ001
    assert local_datetime_text(naive) == "2026-01-01 09:00"
    assert zoneinfo.ZoneInfo("Asia/Shanghai")  # the zone the body runs in
