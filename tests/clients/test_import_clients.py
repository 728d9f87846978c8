"""Issue 6: importing client lists, all or nothing, with every problem reported by row, column,
value and reason; and the export that imports back unchanged."""

import datetime
import functools
import io

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from certificates.models import Certification, State
from clients.imports.client_export import export_clients
from clients.imports.client_import import import_clients
from clients.models import Application, Client, Contact, Site
from infra.tabular import pgbulk
from infra.tabular.pgcopy import COPY_ESCAPES, copy_escape
from tests.clients import sheets
from tests.factories import make_uscc

D = datetime.date
ZH = [
    "企业名称",
    "统一社会信用代码",
    "城市",
    "地址",
    "员工人数",
    "认证标准",
    "认证范围",
    "联系人",
    "联系电话",
    "电子邮箱",
    "体系运行日期",
]
EN = [
    "Company name",
    "Unified social credit code",
    "City",
    "Address",
    "Employees",
    "Standard",
    "Scope",
    "Contact",
    "Phone",
    "Email",
    "Management system operating since",
]
BAD_USCC = make_uscc(7)[:-1] + ("0" if make_uscc(7)[-1] != "0" else "1")


def row(n, **over):
    values = {
        "name": f"北京示例科技有限公司{n}",
        "code": make_uscc(1000 + n),
        "city": "北京",
        "address": f"北京市海淀区中关村大街{n}号",
        "people": "120",
        "standard": "ISO/IEC 20000-1:2018",
        "scope": "信息技术运维服务",
        "contact": "张三",
        "phone": "010-12345678",
        "email": f"it{n}@example.cn",
        "since": "2024年3月5日",
    }
    values.update(over)
    return list(values.values())


# The file's own Chinese headers unless a test gives others.
csv_bytes = functools.partial(sheets.csv_bytes, headers=ZH)
xlsx_bytes = functools.partial(sheets.xlsx_bytes, headers=ZH)


def counts():
    return (
        Client.objects.count(),
        Site.objects.count(),
        Contact.objects.count(),
        Application.objects.count(),
        Certification.objects.count(),
    )


def test_a_good_file_creates_clients_sites_contacts_and_applications(db):
    report = import_clients(io.BytesIO(csv_bytes([row(1), row(2)])))
    assert report.ok and report.committed, report.errors
    assert (report.created, report.updated, report.applications_created) == (2, 0, 2)
    client = Client.objects.get(registration_id=make_uscc(1001))
    assert (client.legal_name, client.city, client.effective_personnel) == (
        "北京示例科技有限公司1",
        "北京",
        120,
    )
    assert client.search_text  # the public name search finds it
    central = client.sites.get()
    assert (central.is_central, central.address) == (True, "北京市海淀区中关村大街1号")
    contact = client.contacts.get()
    assert (contact.name, contact.phone, contact.email, contact.is_primary) == (
        "张三",
        "010-12345678",
        "it1@example.cn",
        True,
    )
    cert = Certification.objects.get(client=client)
    assert (cert.state, cert.scope, str(cert.standard)) == (
        State.APPLIED,
        "信息技术运维服务",
        "ISO/IEC 20000-1:2018",
    )
    assert cert.application.system_operating_since == D(2024, 3, 5)


def test_organisation_code_check_character_is_verified_per_row(db):
    """914403005YQ8KD2B3F passes the GB 32100 check (its 18th character) but its organisation
    code 5YQ8KD2B-3 should end in 2 (GB 11714): the row is refused, naming that check."""
    report = import_clients(io.BytesIO(csv_bytes([row(1), row(2, code="914403005YQ8KD2B3F")])))
    assert not report.ok and not report.committed
    [error] = report.errors
    assert (error.row, error.column, error.value) == (3, "统一社会信用代码", "914403005YQ8KD2B3F")
    assert error.message == (
        "The organisation code (characters 9-17) of this unified social credit code fails its "
        "check character (GB 11714): expected 2, found 3."
    )
    assert counts() == (0, 0, 0, 0, 0)


def test_gbk_csv_with_good_and_bad_rows_reports_each_problem_and_writes_nothing(db):
    rows = [
        row(1),
        row(2, code=BAD_USCC),  # wrong check character
        row(3, standard="ISO 99999"),  # unknown standard
        row(4, people="很多"),  # not a number
        row(5, since="2024-13-01"),  # not a date
        row(6, name=""),  # required
        row(7, code=make_uscc(1001)),  # the same client as row 2 of the file
    ]
    report = import_clients(io.BytesIO(csv_bytes(rows, encoding="gbk")))
    assert report.encoding == "gb18030"
    assert not report.ok and not report.committed
    found = {(e.row, e.column) for e in report.errors}
    assert found == {
        (3, "统一社会信用代码"),
        (4, "认证标准"),
        (5, "员工人数"),
        (6, "体系运行日期"),
        (7, "企业名称"),
        (8, "统一社会信用代码"),
    }
    by_row = {e.row: e for e in report.errors}
    assert "check character" in by_row[3].message and by_row[3].value == BAD_USCC
    assert "ISO/IEC 20000-1:2018" in by_row[4].message  # the known standards are listed
    assert by_row[8].message.startswith("the same key as row 2")
    assert 'row 5, 员工人数 "很多"' in str(by_row[5])
    assert counts() == (0, 0, 0, 0, 0)


def test_xlsx_with_chinese_headers_good_and_bad_rows(db):
    good = row(1, people=80, since=datetime.datetime(2023, 6, 1))  # noqa: DTZ001 (a spreadsheet cell holds no time zone)
    bad = row(2, email="not-an-email")
    report = import_clients(io.BytesIO(xlsx_bytes([good, bad])))
    assert report.format == "xlsx"
    assert [(e.row, e.column, e.value) for e in report.errors] == [(3, "电子邮箱", "not-an-email")]
    assert counts() == (0, 0, 0, 0, 0)
    report = import_clients(io.BytesIO(xlsx_bytes([good])))
    assert report.committed
    assert Client.objects.get().effective_personnel == 80
    assert Application.objects.get().system_operating_since == D(2023, 6, 1)


def test_a_failure_in_the_last_row_leaves_the_database_unchanged(db):
    import_clients(io.BytesIO(csv_bytes([row(1)])))
    before = counts()
    rows = [row(1, city="上海"), *[row(n) for n in range(2, 60)], row(60, people="-3")]
    report = import_clients(io.BytesIO(csv_bytes(rows)))
    assert [e.row for e in report.errors] == [61]
    assert counts() == before
    assert Client.objects.get().city == "北京"  # the update of row 2 was rolled back too


def test_dry_run_previews_creates_updates_and_unchanged_and_writes_nothing(db):
    import_clients(io.BytesIO(csv_bytes([row(1), row(2)])))
    before = counts()
    data = csv_bytes([row(1), row(2, address="新地址 1号"), row(3)])
    report = import_clients(io.BytesIO(data), dry_run=True)
    assert report.ok and not report.committed
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert counts() == before
    report = import_clients(io.BytesIO(data))
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert Client.objects.get(registration_id=make_uscc(1002)).address == "新地址 1号"
    assert Site.objects.get(client__registration_id=make_uscc(1002)).address == "新地址 1号"


def test_english_headers_unknown_columns_reported_and_missing_required_refused(db):
    headers = [*EN, "Favourite colour"]
    report = import_clients(io.BytesIO(csv_bytes([[*row(1), "blue"]], headers=headers)))
    assert report.committed
    assert report.unknown_columns == ["Favourite colour"]
    report = import_clients(io.BytesIO(csv_bytes([row(2)[1:]], headers=ZH[1:])))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(1, "企业名称")]
    assert "required column missing" in report.errors[0].message


def test_whitespace_and_full_width_characters_are_normalised(db):
    messy = row(
        1,
        name="  北京示例科技有限公司\uff11 ",
        code=" " + make_uscc(1001).lower()[:9] + " " + make_uscc(1001)[9:] + " ",
        people="\uff11\uff12\uff10",
        since="\uff12\uff10\uff12\uff14/\uff13/\uff15",
    )
    report = import_clients(io.BytesIO(csv_bytes([messy])))
    assert report.committed, report.errors
    client = Client.objects.get()
    assert (client.legal_name, client.registration_id, client.effective_personnel) == (
        "北京示例科技有限公司1",
        make_uscc(1001),
        120,
    )


def test_an_existing_certification_keeps_its_application(db, people):
    from tests import lifecycle as lc

    cert = lc.certified(people)
    client = cert.client
    data = row(1, code=client.registration_id, name=client.legal_name, scope="另一个范围")
    report = import_clients(io.BytesIO(csv_bytes([data])))
    assert report.committed and report.applications_kept == 1
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE and cert.scope != "另一个范围"
    assert Application.objects.filter(client=client).count() == 1


def test_an_application_under_review_is_updated(db):
    import_clients(io.BytesIO(csv_bytes([row(1)])))
    report = import_clients(io.BytesIO(csv_bytes([row(1, scope="新范围", since="2023-01-01")])))
    assert (report.applications_updated, report.applications_created) == (1, 0)
    cert = Certification.objects.get()
    assert (cert.scope, cert.application.scope, cert.application.system_operating_since) == (
        "新范围",
        "新范围",
        D(2023, 1, 1),
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(db, fmt, tmp_path):
    rows = [row(n, sites="分部|上海|上海市浦东新区1号; 仓库|天津|天津市2号") for n in range(1, 6)]
    import_clients(io.BytesIO(csv_bytes(rows, headers=[*ZH, "其他场所"])))
    assert Site.objects.count() == 15
    before = counts()
    snapshot = list(Client.objects.order_by("pk").values())
    path = tmp_path / f"clients.{fmt}"
    assert export_clients(path, format=fmt) == 5
    report = import_clients(path)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert (report.applications_created, report.applications_updated) == (0, 0)
    assert counts() == before
    assert list(Client.objects.order_by("pk").values()) == snapshot


def test_command_exit_codes_and_printed_errors(db, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes([row(1)], encoding="gbk"))
    bad.write_bytes(csv_bytes([row(2, people="x")]))
    out = io.StringIO()
    call_command("import_clients", str(good), "--dry-run", stdout=out)
    assert "1 rows: 1 clients to create" in out.getvalue()
    assert Client.objects.count() == 0
    call_command("import_clients", str(good), "--encoding", "gbk", stdout=io.StringIO())
    assert Client.objects.count() == 1
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_clients", str(bad), stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert 'row 2, 员工人数 "x"' in err.getvalue()
    assert Client.objects.count() == 1
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_clients", str(tmp_path / "missing.csv"))


def test_a_file_problem_is_a_clear_message(db):
    report = import_clients(io.BytesIO(b""))
    assert report.file_error and not report.ok
    assert "empty" in str(report.file_error[0])


def test_a_code_stored_as_a_number_and_two_columns_for_one_field_are_reported(db):
    report = import_clients(io.BytesIO(xlsx_bytes([row(1, code=9.11100000001e17)])))
    (error,) = report.errors
    assert (error.row, error.column) == (2, "统一社会信用代码")
    assert "format the column as text" in error.message
    headers = [*ZH, "公司名称"]
    report = import_clients(io.BytesIO(csv_bytes([[*row(1), "x"]], headers=headers)))
    assert [(e.row, "企业名称" in e.message) for e in report.errors] == [(1, True)]
    assert Client.objects.count() == 0


# -- updates of contacts, dates and other sites; the COPY path on PostgreSQL --------------------
def test_an_update_changes_the_primary_contact(db):
    import_clients(io.BytesIO(csv_bytes([row(1)])))
    new = row(1, contact="李四", phone="13800138000", email="li@example.cn")
    report = import_clients(io.BytesIO(csv_bytes([new])))
    assert report.committed, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    contact = Contact.objects.get()  # changed in place, not a second contact
    assert (contact.name, contact.phone, contact.email, contact.is_primary) == (
        "李四",
        "13800138000",
        "li@example.cn",
        True,
    )
    report = import_clients(io.BytesIO(csv_bytes([new])))
    assert (report.updated, report.unchanged) == (0, 1)


def test_an_update_where_the_operating_date_is_empty(db):
    import_clients(io.BytesIO(csv_bytes([row(1, since="")])))
    assert Application.objects.get().system_operating_since is None
    report = import_clients(io.BytesIO(csv_bytes([row(1, since="", address="北京市朝阳区1号")])))
    assert report.committed, report.errors
    assert (report.updated, report.applications_updated, report.applications_created) == (1, 0, 0)
    client = Client.objects.get()
    assert client.address == "北京市朝阳区1号"
    assert client.sites.get(is_central=True).address == "北京市朝阳区1号"
    assert Application.objects.get().system_operating_since is None


def test_an_other_site_moves_city_and_address(db):
    headers = [*ZH, "其他场所"]
    import_clients(
        io.BytesIO(csv_bytes([row(1, sites="分部|上海|上海市浦东新区1号")], headers=headers))
    )
    moved = row(1, sites="分部|苏州|苏州市工业园区星湖街2号")
    report = import_clients(io.BytesIO(csv_bytes([moved], headers=headers)))
    assert report.committed, report.errors
    # The client's own fields are unchanged: its site changed, so the row counts as updated.
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert Site.objects.count() == 2
    site = Site.objects.get(is_central=False)
    assert (site.name, site.city, site.address) == ("分部", "苏州", "苏州市工业园区星湖街2号")


def test_a_client_another_import_created_meanwhile_is_a_clear_error(db, monkeypatch):
    """The unique registration id guards a concurrent import of the same client: simulated by
    hiding the existing client from the lookup, so the write meets it."""
    import_clients(io.BytesIO(csv_bytes([row(2)])))
    before = counts()
    real = pgbulk.filter_in

    def lookup_misses_clients(queryset, name, values):
        if queryset.model is Client:
            return queryset.none()
        return real(queryset, name, values)

    monkeypatch.setattr(pgbulk, "filter_in", lookup_misses_clients)
    report = import_clients(io.BytesIO(csv_bytes([row(1), row(2), row(3)])))
    assert not report.ok and not report.committed
    (error,) = report.errors
    assert "another import created" in error.message and "run the import again" in error.message
    from django.db import connection

    if connection.vendor == "postgresql":  # COPY names the key: the row is found
        assert (error.row, error.column, error.value) == (3, "统一社会信用代码", make_uscc(1002))
    assert counts() == before


@pytest.mark.postgres
def test_copy_written_clients_are_found_by_the_public_name_search(db):
    from django.db import connection

    from certificates.selectors_public import _CANDIDATES_SQL, _like_pattern
    from clients.models import normalise_search

    data = csv_bytes(
        [row(1, name="华为示例有限公司"), row(2, name="\uff21\uff22\uff23 Software Ltd")]
    )
    assert import_clients(io.BytesIO(data)).committed
    for client in Client.objects.all():
        assert client.search_text
        stored = (client.search_text, client.search_grams)
        assert stored == (client.set_search_fields().search_text, client.search_grams)
        assert client.created_at is not None and not client.restricted_listing

    def found(text, grams=()):
        grams_sql = "AND string_to_array(search_grams, ' ') @> %s::text[]" if grams else ""
        sql = _CANDIDATES_SQL.format(escape="", grams=grams_sql, limit=10)
        params = [_like_pattern(normalise_search(text)), *([list(grams)] if grams else [])]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {Client.objects.get(pk=pk).legal_name for (pk,) in cursor.fetchall()}

    assert found("华为", grams=["华为"]) == {"华为示例有限公司"}
    assert found("abc software") == {"ABC Software Ltd"}


@pytest.mark.postgres
def test_ids_continue_after_a_copy_import(db):
    rows = [row(n, sites="分部|上海|上海市1号") for n in range(1, 4)]
    assert import_clients(io.BytesIO(csv_bytes(rows, headers=[*ZH, "其他场所"]))).committed
    imported = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    assert len(imported) == 3
    # The sites and contacts took their ids from their columns' defaults.
    assert Site.objects.count() == 6 and Contact.objects.count() == 3
    assert Site.objects.filter(client_id__in=imported, is_central=True).count() == 3
    client = Client.objects.create(
        legal_name="后来的客户",
        registration_id=make_uscc(9),
        city="北京",
        address="x",
        effective_personnel=5,
    )
    assert client.pk > max(imported)
    site = Site.objects.create(client=client, name="后来的客户", is_central=True, city="北京")
    contact = Contact.objects.create(client=client, name="王五", is_primary=True)
    assert site.pk > max(Site.objects.exclude(pk=site.pk).values_list("pk", flat=True))
    assert contact.pk > max(Contact.objects.exclude(pk=contact.pk).values_list("pk", flat=True))
    # A second import continues after the client created through the ORM.
    assert import_clients(io.BytesIO(csv_bytes([row(4)]))).committed
    assert Client.objects.get(registration_id=make_uscc(1004)).pk > client.pk


@pytest.mark.postgres
def test_a_failure_in_the_last_row_leaves_nothing_of_the_copy_path(db, monkeypatch):
    from clients.imports import client_import

    monkeypatch.setattr(client_import, "CHUNK", 10)  # several chunks COPY-written before it
    rows = [row(n, sites="分部|上海|上海市1号") for n in range(1, 35)] + [row(35, people="0")]
    report = import_clients(io.BytesIO(csv_bytes(rows, headers=[*ZH, "其他场所"])))
    assert [e.row for e in report.errors] == [36]
    assert report.created == 34 and not report.committed
    assert counts() == (0, 0, 0, 0, 0)


def test_an_empty_optional_date_keeps_the_recorded_one(db):
    import_clients(io.BytesIO(csv_bytes([row(1, since="2023-01-01")])))
    report = import_clients(io.BytesIO(csv_bytes([row(1, since="", scope="新范围")])))
    assert report.committed and report.applications_updated == 1
    application = Certification.objects.get().application
    assert (application.scope, application.system_operating_since) == ("新范围", D(2023, 1, 1))


@pytest.mark.postgres
# Committed for real (the import's transaction is the outermost one); serialized_rollback
# gives the tests after it the migrated groups back.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_import_transaction_has_its_own_work_mem(settings):
    """IMPORT_WORK_MEM applies inside the import's transaction only (SET LOCAL: when the
    import runs inside a larger transaction, until that one ends)."""
    from django.db import connection

    def work_mem():
        with connection.cursor() as cursor:
            cursor.execute("SHOW work_mem")
            return cursor.fetchone()[0]

    settings.CERTBODY = {**settings.CERTBODY, "IMPORT_WORK_MEM": "48MB"}
    before = work_mem()
    seen = []
    report = import_clients(
        io.BytesIO(csv_bytes([row(1), row(2)])),
        progress=lambda done, total: seen.append(work_mem()),
    )
    assert report.committed and seen and set(seen) == {"48MB"}
    assert before != "48MB" and work_mem() == before


def test_a_work_mem_postgresql_cannot_read_is_refused_at_startup(settings):
    from certbody.checks import check_policy

    settings.CERTBODY = {**settings.CERTBODY, "IMPORT_WORK_MEM": "lots"}
    (error,) = check_policy()
    assert error.id == "certbody.E002" and "'lots'" in error.msg
    for bad in ("1", "63kB", "4TB", "2147483648", "64 mb", "-1MB"):
        settings.CERTBODY = {**settings.CERTBODY, "IMPORT_WORK_MEM": bad}
        assert [e.id for e in check_policy()] == ["certbody.E002"], bad
    for good in ("64MB", "65536kB", "1GB", "8192", "64 MB", "64kB", "2047GB"):
        settings.CERTBODY = {**settings.CERTBODY, "IMPORT_WORK_MEM": good}
        assert check_policy() == []


def test_text_reaches_the_database_as_written(db):
    """Backslashes (COPY's escape character on PostgreSQL), quotes, emoji and full-width text
    come out of the database as the cleaned file had them, in clients, sites and contacts."""
    name = r"北京\反斜杠\N公司 “引号” 😀"
    address = r"C:\path\n1号 \t \\ end"
    rows = [
        row(1, name=name, address=address, contact=r"张\三", sites=r"分部\1|上海|上海市\2号"),
        row(2, name="Ｆｕｌｌ　Ｗｉｄｔｈ 公司"),  # noqa: RUF001 (full-width on purpose)
    ]
    report = import_clients(io.BytesIO(csv_bytes(rows, headers=[*ZH, "其他场所"])))
    assert report.committed, report.errors
    client = Client.objects.get(registration_id=make_uscc(1001))
    assert (client.legal_name, client.address) == (name, address)
    assert client.search_text == client.set_search_fields().search_text
    central = client.sites.get(is_central=True)
    assert (central.name, central.address) == (name, address)
    other = client.sites.get(is_central=False)
    assert (other.name, other.city, other.address) == (r"分部\1", "上海", r"上海市\2号")
    assert client.contacts.get().name == r"张\三"
    assert client.country == "CN" and not client.restricted_listing and client.notes == ""
    assert client.created_at is not None
    assert Client.objects.get(registration_id=make_uscc(1002)).legal_name == "Full Width 公司"


@given(st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=40))
def test_copy_escaping_matches_the_full_translation(text):
    """The fast path (nothing to escape) never skips a character COPY's text format needs
    escaped."""
    assert copy_escape(text) == text.translate(COPY_ESCAPES)
