"""Issue 14, finding 3: a spreadsheet upload cannot exhaust memory or hold a request.

A workbook is refused from its ZIP directory, before anything unpacks it, when it unpacks to too
much, packs too well, holds too many parts or a part parsed whole that is too large; a cell past
the column limit or a row past Excel's last is refused before the rows are read. Each message
names the setting. A workbook runs in the request only when it also unpacks to little, and a
Celery worker child is replaced once a job left it large. Limits are set low here with
override_settings rather than building large files, except for one real ZIP bomb."""

import io
import random
import re
import time
import zipfile

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from clients.models import ImportJob
from infra.tabular import ImportFileError, check_workbook, human_size, open_table, workbook, xlsx
from tests.clients.test_import_clients import row, xlsx_bytes

MB = 1024 * 1024


def limits(**values):
    return override_settings(CERTBODY={**django_settings.CERTBODY, **values})


def small_workbook() -> bytes:
    return xlsx_bytes([row(1), row(2)])


def rebuild(data: bytes, *, replace=None, add=None, level=6) -> bytes:
    """The workbook ``data`` with parts replaced or added: {name: bytes or (chunk, count)}; a
    (chunk, count) part is streamed into the ZIP (count times chunk) without building it."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target,
    ):
        parts = {info.filename: source.read(info) for info in source.infolist()}
        parts.update(replace)
        parts.update(add)
        for name, content in parts.items():
            if isinstance(content, tuple):
                chunk, count = content
                with target.open(name, "w", force_zip64=True) as member:
                    for _ in range(count):
                        member.write(chunk)
            else:
                target.writestr(name, content)
    return out.getvalue()


def refusal(data: bytes) -> str:
    with pytest.raises(ImportFileError) as caught:
        open_table(io.BytesIO(data)).close()
    return " ".join(caught.value.messages)


@pytest.fixture
def no_parsing(monkeypatch):
    """openpyxl must not open the workbook at all."""

    def fail(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(xlsx, "load_workbook", fail)


# -- a real ZIP bomb --------------------------------------------------------------------------
SST_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
)


SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def bomb(megabytes: int) -> bytes:
    """A small valid workbook whose shared strings (declared in its content types and
    relationships, so openpyxl would read them) unpack to ``megabytes`` MB of one letter,
    streamed into the ZIP a MB at a time."""
    with zipfile.ZipFile(io.BytesIO(small_workbook())) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>'.encode(),
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rId99" Type="{SST_REL}" Target="sharedStrings.xml"/>'
        "</Relationships>".encode(),
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name, content in parts.items():
            target.writestr(name, content)
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(SST_HEAD)
            for _ in range(megabytes):
                member.write(b"A" * MB)
            member.write(b"</t></si></sst>")
    return out.getvalue()


@pytest.fixture(scope="module")
def zip_bomb():
    return bomb(240)  # as in the issue: 240 MB of shared strings


def test_a_zip_bomb_is_refused_from_its_directory_without_parsing(zip_bomb, no_parsing):
    assert len(zip_bomb) < 400 * 1024
    started = time.monotonic()
    message = refusal(zip_bomb)
    assert time.monotonic() - started < 1
    assert "unpacks to 240 MB" in message
    assert "at most 100 MB is accepted (CERTBODY_IMPORT_MAX_UNPACKED_BYTES)" in message


def test_a_bomb_under_the_size_limit_is_refused_by_its_compression_ratio(no_parsing):
    data = bomb(20)
    message = refusal(data)
    assert "CERTBODY_IMPORT_MAX_COMPRESSION_RATIO" in message
    assert "xl/sharedStrings.xml unpacks to 20 MB" in message


def test_the_upload_form_refuses_a_bomb_before_storing_it(client, staff, zip_bomb, no_parsing):
    client.force_login(staff)
    response = client.post(
        reverse("admin:clients_importjob_add"),
        {"kind": "clients", "file": SimpleUploadedFile("clients.xlsx", zip_bomb), "encoding": ""},
    )
    assert response.status_code == 200
    assert "CERTBODY_IMPORT_MAX_UNPACKED_BYTES" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_audit_time_import_refuses_a_bomb(admin_client, zip_bomb, no_parsing):
    from infra.importexport import FORMATS, SafeXLSX

    response = admin_client.post(
        reverse("admin:audits_audittimerow_import"),
        {
            "resource": "0",
            "format": str(FORMATS.index(SafeXLSX)),
            "import_file": SimpleUploadedFile("bands.xlsx", zip_bomb),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "CERTBODY_IMPORT_MAX_UNPACKED_BYTES" in html or "CERTBODY_IMPORT_INLINE_MAX_BYTES" in html
    )


def test_the_audit_time_import_reads_only_a_small_workbook_in_the_request(admin_client):
    from infra.importexport import FORMATS, SafeXLSX

    data = small_workbook()
    with limits(IMPORT_INLINE_MAX_UNPACKED_BYTES=1000):
        response = admin_client.post(
            reverse("admin:audits_audittimerow_import"),
            {
                "resource": "0",
                "format": str(FORMATS.index(SafeXLSX)),
                "import_file": SimpleUploadedFile("bands.xlsx", data),
            },
        )
    html = response.content.decode()
    assert "at most 1000 bytes is accepted here" in html
    assert "CERTBODY_IMPORT_INLINE_MAX_UNPACKED_BYTES" in html


# -- sizes declared in the directory are not trusted -----------------------------------------
def test_a_part_larger_than_its_declared_size_is_never_unpacked_past_it():
    data = bytearray(bomb(20))
    # Declare the shared strings 1,000 bytes in the central directory, so that every size
    # check passes: reading must stop at 1,000 bytes and fail.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
    directory = bytes(data).find(b"PK\x01\x02")
    while True:  # this part's entry in the central directory
        name_length = int.from_bytes(data[directory + 28 : directory + 30], "little")
        extra_length = int.from_bytes(data[directory + 30 : directory + 32], "little")
        comment_length = int.from_bytes(data[directory + 32 : directory + 34], "little")
        name = bytes(data[directory + 46 : directory + 46 + name_length])
        if name == b"xl/sharedStrings.xml":
            break
        directory += 46 + name_length + extra_length + comment_length
    data[directory + 24 : directory + 28] = (1000).to_bytes(4, "little")
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size == 1000 < info.file_size
    started = time.monotonic()
    message = refusal(bytes(data))
    assert time.monotonic() - started < 2
    assert "cannot be read" in message


# -- limits from generated sizes ----------------------------------------------------------------
BASE = small_workbook()
BASE_UNPACKED = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(BASE)).infolist())
BASE_PARTS = len(zipfile.ZipFile(io.BytesIO(BASE)).namelist())


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=20_000), max_size=6),
    limit=st.integers(min_value=BASE_UNPACKED, max_value=BASE_UNPACKED + 60_000),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_a_workbook_over_the_unpacked_limit_is_refused_and_one_under_it_read(sizes, limit, seed):
    noise = random.Random(seed)  # incompressible: only the size limit applies
    extra = {f"xl/media/image{i}.png": noise.randbytes(size) for i, size in enumerate(sizes)}
    data = rebuild(BASE, add=extra)
    total = BASE_UNPACKED + sum(sizes)
    with limits(IMPORT_MAX_UNPACKED_BYTES=limit, IMPORT_MAX_XML_PART_BYTES=MB):
        if total > limit:
            message = refusal(data)
            assert f"unpacks to {human_size(total)}" in message
            assert f"at most {human_size(limit)} is accepted" in message
            assert "CERTBODY_IMPORT_MAX_UNPACKED_BYTES" in message
        else:
            with open_table(io.BytesIO(data)) as table:
                assert len(list(table.rows())) == 2


@hypothesis_settings(max_examples=20, deadline=None)
@given(extra=st.integers(min_value=0, max_value=30), limit=st.integers(min_value=1, max_value=40))
def test_a_workbook_with_too_many_parts_is_refused(extra, limit):
    data = rebuild(BASE, add={f"customXml/item{i}.bin": b"x" for i in range(extra)})
    with limits(IMPORT_MAX_ZIP_MEMBERS=limit):
        if BASE_PARTS + extra > limit:
            message = refusal(data)
            assert f"more than {limit} parts" in message
            assert "CERTBODY_IMPORT_MAX_ZIP_MEMBERS" in message
        else:
            with open_table(io.BytesIO(data)) as table:
                assert table.total_rows == 2


@hypothesis_settings(max_examples=20, deadline=None)
@given(size=st.integers(min_value=0, max_value=70_000), limit=st.integers(12_000, 60_000))
def test_a_part_parsed_whole_over_its_limit_is_refused(size, limit):
    # Padding inside styles.xml (openpyxl parses it whole): an XML comment of ``size`` bytes.
    styles = zipfile.ZipFile(io.BytesIO(BASE)).read("xl/styles.xml")
    padded = styles.replace(b"?>", b"?><!--" + b"p" * size + b"-->", 1)
    data = rebuild(BASE, replace={"xl/styles.xml": padded})
    with limits(IMPORT_MAX_XML_PART_BYTES=limit):
        if len(padded) > limit:
            message = refusal(data)
            assert "xl/styles.xml" in message and "CERTBODY_IMPORT_MAX_XML_PART_BYTES" in message
        else:
            with open_table(io.BytesIO(data)) as table:
                assert table.total_rows == 2


def test_the_worksheets_and_shared_strings_are_not_held_to_the_part_limit():
    data = xlsx_bytes([row(n) for n in range(1, 200)])
    with limits(IMPORT_MAX_XML_PART_BYTES=12_000), open_table(io.BytesIO(data)) as table:
        assert table.total_rows == 199


def test_a_worksheet_also_used_as_another_part_is_held_to_the_part_limit():
    # The workbook's relationships point the styles at the (large) worksheet: openpyxl would
    # parse it whole, so it is not exempt.
    data = xlsx_bytes([row(n) for n in range(1, 200)])
    rels = zipfile.ZipFile(io.BytesIO(data)).read("xl/_rels/workbook.xml.rels")
    rels = re.sub(rb'Target="/?xl/styles.xml"', b'Target="worksheets/sheet1.xml"', rels)
    rels = rels.replace(b'Target="styles.xml"', b'Target="worksheets/sheet1.xml"')
    data = rebuild(data, replace={"xl/_rels/workbook.xml.rels": rels})
    with limits(IMPORT_MAX_XML_PART_BYTES=12_000):
        assert "xl/worksheets/sheet1.xml" in refusal(data)


# -- shared strings ----------------------------------------------------------------------------
# openpyxl reads every shared string into one list before the first row (a 12 MB workbook whose
# shared strings unpack to 91 MB took a process from 86 to 853 MB): they have their own limits.
def shared_strings_workbook(rows: int) -> bytes:
    """A workbook as Excel writes it (openpyxl writes inline strings): the text of its cells in
    xl/sharedStrings.xml, each distinct text once, the cells pointing at them."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    table = [["name", "city", "note"]]
    table += [[f"北京示例科技有限公司{n}", "北京", f"note {n}"] for n in range(1, rows + 1)]
    strings: dict[str, int] = {}
    sheet_rows = []
    for number, values in enumerate(table, 1):
        cells = "".join(
            f'<c r="{"ABC"[i]}{number}" t="s"><v>{strings.setdefault(v, len(strings))}</v></c>'
            for i, v in enumerate(values)
        )
        sheet_rows.append(f'<row r="{number}">{cells}</row>')
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main}"><sheetData>{"".join(sheet_rows)}</sheetData></worksheet>'
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{main}" uniqueCount="{len(strings)}">{items}</sst>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
    return out.getvalue()


SHARED = shared_strings_workbook(119)
SHARED_PART = zipfile.ZipFile(io.BytesIO(SHARED)).getinfo("xl/sharedStrings.xml").file_size
SHARED_COUNT = zipfile.ZipFile(io.BytesIO(SHARED)).read("xl/sharedStrings.xml").count(b"<si>")


def test_shared_strings_over_their_byte_limit_are_refused_before_parsing(no_parsing):
    with limits(IMPORT_MAX_SHARED_STRINGS_BYTES=SHARED_PART - 1):
        message = refusal(SHARED)
    assert "xl/sharedStrings.xml" in message
    assert "CERTBODY_IMPORT_MAX_SHARED_STRINGS_BYTES" in message and "CSV" in message
    assert human_size(SHARED_PART - 1) in message
    with limits(IMPORT_MAX_SHARED_STRINGS_BYTES=SHARED_PART - 1), pytest.raises(ImportFileError):
        check_workbook(io.BytesIO(SHARED))  # from the ZIP directory, in the web request too


def test_shared_strings_at_their_byte_limit_are_read():
    with limits(IMPORT_MAX_SHARED_STRINGS_BYTES=SHARED_PART), open_table(io.BytesIO(SHARED)) as t:
        assert t.total_rows == 119


@pytest.mark.parametrize("chunk", [7, 64, 1024 * 1024])
def test_more_shared_strings_than_the_limit_are_refused_before_parsing(chunk, monkeypatch):
    monkeypatch.setattr(workbook, "_CHUNK", chunk)  # tags cut by the chunks are counted once
    with limits(IMPORT_MAX_SHARED_STRINGS=SHARED_COUNT), open_table(io.BytesIO(SHARED)) as table:
        assert table.total_rows == 119
    monkeypatch.setattr(xlsx, "load_workbook", None)  # not reached
    with limits(IMPORT_MAX_SHARED_STRINGS=SHARED_COUNT - 1):
        message = refusal(SHARED)
    assert f"{SHARED_COUNT - 1:,}" in message
    assert "CERTBODY_IMPORT_MAX_SHARED_STRINGS)" in message and "CSV" in message


def test_shared_strings_are_counted_whatever_their_namespace_prefix(no_parsing):
    strings = b"".join(b"<x:si><x:t>%d</x:t></x:si><x:si/>" % n for n in range(50))
    part = b'<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    data = rebuild(SHARED, replace={"xl/sharedStrings.xml": part + strings + b"</x:sst>"})
    with limits(IMPORT_MAX_SHARED_STRINGS=99):
        assert "CERTBODY_IMPORT_MAX_SHARED_STRINGS)" in refusal(data)


def test_a_shared_strings_part_is_not_exempt_through_a_relationship():
    # A part the workbook's relationships call shared strings is held to their limit, not let
    # through as streamed.
    rels = zipfile.ZipFile(io.BytesIO(BASE)).read("xl/_rels/workbook.xml.rels")
    extra = (
        b'<Relationship Id="rIdX" Target="extra.xml" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    data = rebuild(
        BASE,
        replace={"xl/_rels/workbook.xml.rels": rels.replace(b"</Relationships>", extra)},
        add={"xl/extra.xml": b"<sst/>" + b" " * 20_000},
    )
    with limits(IMPORT_MAX_SHARED_STRINGS_BYTES=12_000):
        assert "CERTBODY_IMPORT_MAX_SHARED_STRINGS_BYTES" in refusal(data)


# -- columns and rows ------------------------------------------------------------------------
def test_a_cell_far_to_the_right_is_refused_before_the_rows_are_read():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["企业名称", "统一社会信用代码"])
    for n in range(2, 2000):
        sheet.cell(row=n, column=16384, value="x")  # XFD: 16,384 cells a row for openpyxl
    out = io.BytesIO()
    book.save(out)
    started = time.monotonic()
    message = refusal(out.getvalue())
    assert time.monotonic() - started < 2
    assert "Cell XFD2 is in column 16384; at most 256 columns" in message
    assert "CERTBODY_IMPORT_MAX_COLUMNS" in message


@pytest.mark.parametrize("prefix", [b"", b"x:"])
def test_cells_without_references_count_too(prefix):
    cells = b"".join(
        b"<"
        + prefix
        + b'c t="inlineStr"><'
        + prefix
        + b"is><"
        + prefix
        + b"t>v</"
        + prefix
        + b"t></"
        + prefix
        + b"is></"
        + prefix
        + b"c>"
        for _ in range(20)
    )
    sheet_xml = zipfile.ZipFile(io.BytesIO(BASE)).read("xl/worksheets/sheet1.xml")
    if prefix:
        sheet_xml = sheet_xml.replace(
            b"<worksheet ",
            b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ',
            1,
        )
    sheet_xml = re.sub(rb"(<row [^>]*>)", lambda m: m.group(1) + cells, sheet_xml, count=1)
    data = rebuild(BASE, replace={"xl/worksheets/sheet1.xml": sheet_xml})
    with limits(IMPORT_MAX_COLUMNS=10):
        assert "CERTBODY_IMPORT_MAX_COLUMNS" in refusal(data)


@pytest.mark.parametrize("number", [b"1048577", b"99999999999999", b" 2000000 "])
def test_a_row_past_excel_s_last_is_refused(number):
    sheet_xml = zipfile.ZipFile(io.BytesIO(BASE)).read("xl/worksheets/sheet1.xml")
    sheet_xml = sheet_xml.replace(b'<row r="3"', b"<row r='" + number.strip() + b"'", 1)
    data = rebuild(BASE, replace={"xl/worksheets/sheet1.xml": sheet_xml})
    started = time.monotonic()
    assert "past the last row of Excel" in refusal(data)
    assert time.monotonic() - started < 1


def test_a_wide_but_allowed_sheet_is_read():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["企业名称", *[f"extra {n}" for n in range(2, 257)]])
    sheet.append(["x"] * 256)
    out = io.BytesIO()
    book.save(out)
    with open_table(io.BytesIO(out.getvalue())) as table:
        assert len(table.headers) == 256


# -- where a workbook is read ---------------------------------------------------------------
def test_a_small_file_that_unpacks_to_much_runs_on_the_worker(
    client, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    data = small_workbook()
    assert len(data) < django_settings.CERTBODY["IMPORT_INLINE_MAX_BYTES"]
    with (
        limits(IMPORT_INLINE_MAX_UNPACKED_BYTES=1000),
        django_capture_on_commit_callbacks(execute=False) as queued,
    ):
        client.post(
            reverse("admin:clients_importjob_add"),
            {"kind": "clients", "file": SimpleUploadedFile("c.xlsx", data), "encoding": ""},
        )
    job = ImportJob.objects.get()
    assert (job.status, len(queued)) == ("queued", 1)


def test_the_same_small_workbook_runs_in_the_request_under_the_default_limit(client, staff):
    client.force_login(staff)
    client.post(
        reverse("admin:clients_importjob_add"),
        {"kind": "clients", "file": SimpleUploadedFile("c.xlsx", small_workbook()), "encoding": ""},
    )
    assert ImportJob.objects.get().status == "done"


def test_a_celery_worker_child_is_replaced_once_a_job_left_it_large():
    from certbody.celery import app

    assert django_settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD == 300 * 1024  # KiB
    assert app.conf.worker_max_memory_per_child == 300 * 1024


def test_the_defaults_are_documented_settings():
    policy = django_settings.CERTBODY
    assert policy["IMPORT_MAX_UNPACKED_BYTES"] == 100 * MB
    assert policy["IMPORT_INLINE_MAX_UNPACKED_BYTES"] == 2 * MB
    assert policy["IMPORT_MAX_COMPRESSION_RATIO"] == 100
    assert policy["IMPORT_MAX_ZIP_MEMBERS"] == 1000
    assert policy["IMPORT_MAX_XML_PART_BYTES"] == 8 * MB
    assert policy["IMPORT_MAX_COLUMNS"] == 256
    assert policy["IMPORT_MAX_SHARED_STRINGS_BYTES"] == 24 * MB
    assert policy["IMPORT_MAX_SHARED_STRINGS"] == 1_000_000


def test_check_workbook_passes_anything_that_is_not_a_zip():
    check_workbook(io.BytesIO(b"a,b\r\n1,2\r\n"))
