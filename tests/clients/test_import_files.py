"""Reading import files (infra/tabular/, clients/imports/columns.py): CSV in every encoding people
send, XLSX with typed cells, and a plain message for every file that cannot be read."""
# ruff: noqa: RUF001 (full-width letters, digits and punctuation are what these tests are about)

import csv
import datetime
import io
import os
import struct
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from openpyxl import Workbook

from clients.imports import columns as columns_module
from clients.imports.columns import CLIENT_COLUMNS
from infra.tabular import (
    Column,
    ImportFileError,
    header_key,
    human_size,
    map_headers,
    normalise_text,
    open_table,
    parse_date,
    parse_int,
)

D = datetime.date
MB = 1024 * 1024
HEADERS = ["企业名称", "统一社会信用代码", "城市", "地址", "员工人数", "体系运行日期"]
ROWS = [
    ["北京甲科技有限公司", "91110000600037341L", "北京", "朝阳区建国路 1 号", "120", "2024-03-05"],
    [
        "上海乙信息服务有限公司",
        "91350100M000100Y43",
        "上海",
        "浦东新区世纪大道 8 号",
        "35",
        "20240101",
    ],
]


def csv_bytes(rows, encoding="utf-8", delimiter=","):
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows, build=None):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    for row in rows:
        sheet.append(row)
    if build:
        build(workbook, sheet)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def read(data, **kwargs):
    with open_table(io.BytesIO(data), **kwargs) as table:
        return table, list(table.rows())


def error(data, **kwargs) -> str:
    with pytest.raises(ImportFileError) as raised:
        read(data, **kwargs)
    (message,) = raised.value.messages
    return message


# -- CSV encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encoding_is_detected(written, detected):
    rows = [row[:] for row in ROWS]
    if written == "gb18030":
        rows[1][0] = "上海䶮乙信息服务有限公司"  # 䶮 (U+4DAE) is in GB18030, not in GBK
    table, got = read(csv_bytes([HEADERS, *rows], written))
    assert (table.format, table.encoding, table.delimiter) == ("csv", detected, ",")
    assert table.headers == HEADERS
    assert table.total_rows is None
    assert got == [(2, rows[0]), (3, rows[1])]


@pytest.mark.parametrize(
    ("written", "chosen", "used"),
    [
        ("gbk", "GBK", "gb18030"),
        ("gbk", "gb2312", "gb18030"),
        ("gb18030", "gb18030", "gb18030"),
        ("utf-8", "UTF_8", "utf-8"),
        ("utf-8-sig", "utf-8-sig", "utf-8-sig"),
        # A byte order mark is never part of the first header.
        ("utf-8-sig", "utf-8", "utf-8-sig"),
    ],
)
def test_csv_encoding_chosen_by_the_user(written, chosen, used):
    table, got = read(csv_bytes([HEADERS, *ROWS], written), encoding=chosen)
    assert table.encoding == used
    assert table.headers == HEADERS
    assert got == [(2, ROWS[0]), (3, ROWS[1])]


def test_an_unknown_encoding_is_refused():
    message = error(csv_bytes([HEADERS, *ROWS]), encoding="latin-9")
    assert message == "Unknown encoding “latin-9”: choose UTF-8, UTF-8 with BOM, GBK or GB18030."


def test_a_wrong_chosen_encoding_names_the_row_and_column():
    rows = [["Company name", "City"], ["Acme", "Beijing"], ["Beta", "Shanghai"], ["Gamma", "北京"]]
    message = error(csv_bytes(rows, "gbk"), encoding="utf-8")
    assert message.startswith("Row 4, column B: the text is not valid UTF-8.")
    assert "--encoding" in message


def test_gbk_after_a_long_ascii_start_is_still_detected():
    """The first 64 KB are plain ASCII: the encoding is told from the first non-ASCII text."""
    rows = [["Company name", "City"]] + [[f"Acme {i}", "Beijing"] for i in range(8000)]
    rows.append(["甲公司", "北京"])
    data = csv_bytes(rows, "gbk")
    assert data.index("甲".encode("gbk")) > 64 * 1024
    table, got = read(data)
    assert table.encoding == "gb18030"
    assert got[-1] == (8002, ["甲公司", "北京"])


def test_bytes_not_valid_in_the_detected_encoding_far_into_the_file_name_their_row():
    head = csv_bytes([HEADERS] + [ROWS[0]] * 3000)  # UTF-8 well beyond the 64 KB looked at
    assert len(head) > 64 * 1024
    data = head + csv_bytes([ROWS[1]], "gbk")
    message = error(data)
    assert message.startswith("Row 3002, column A: the text is not valid UTF-8.")


def test_a_nul_byte_far_into_the_file_names_its_row_and_column():
    """Past the part looked at to tell a text file from a binary one: refused with the row and
    column (PostgreSQL text cannot hold NUL; it used to end the import with a traceback)."""
    head = csv_bytes([HEADERS] + [ROWS[0]] * 3000)
    assert len(head) > 64 * 1024
    bad = [ROWS[1][0], "Bei\x00jing", *ROWS[1][2:]]
    message = error(head + csv_bytes([bad]))
    assert message.startswith("Row 3002, column B: the file holds a NUL byte")


# -- CSV shape -------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", ["\t", ";", ","])
def test_delimiter_is_taken_from_the_header_line(delimiter):
    table, got = read(csv_bytes([HEADERS, *ROWS], delimiter=delimiter))
    assert table.delimiter == delimiter
    assert table.headers == HEADERS
    assert got == [(2, ROWS[0]), (3, ROWS[1])]


def test_the_delimiter_used_most_wins_over_a_comma_inside_a_header():
    table, got = read(b"Company name;City;Address, street\nAcme;Beijing;1, Road\n")
    assert table.delimiter == ";"
    assert table.headers == ["Company name", "City", "Address, street"]
    assert got == [(2, ["Acme", "Beijing", "1, Road"])]


def test_an_excel_sep_line_sets_the_delimiter_and_is_not_a_row():
    table, got = read(b"sep=;\r\nCompany name;City\r\nAcme;Beijing\r\n")
    assert (table.delimiter, table.headers) == (";", ["Company name", "City"])
    assert got == [(2, ["Acme", "Beijing"])]


def test_rows_are_counted_as_a_spreadsheet_shows_them():
    """A quoted cell with line breaks is one row; an empty row is skipped but still counted;
    short rows are padded, and values past the header are kept (trailing empty ones are not)."""
    data = (
        "企业名称,城市,地址\r\n"
        '甲公司,北京,"朝阳区\r\n建国路 1 号"\r\n'
        "\r\n"
        ",,\r\n"
        "乙公司,上海\r\n"
        "丙公司,广州,天河区,多余的值,,\r\n"
        "丁公司,深圳,南山区,,,\r\n"
    ).encode()
    _table, got = read(data)
    assert got == [
        (2, ["甲公司", "北京", "朝阳区 建国路 1 号"]),
        (5, ["乙公司", "上海", ""]),
        (6, ["丙公司", "广州", "天河区", "多余的值"]),
        (7, ["丁公司", "深圳", "南山区"]),
    ]


def test_whitespace_and_full_width_characters_are_normalised():
    data = (
        "\u3000企业名称 , ＣＩＴＹ\t,Ａｄｄｒｅｓｓ\r\n"
        '  ＡＢＣ\u3000\u3000有限公司\u00a0 ,北京\u200b,"朝阳区\n\t建国路  １号"\r\n'
    ).encode()
    table, got = read(data)
    assert table.headers == ["企业名称", "CITY", "Address"]
    assert got == [(2, ["ABC 有限公司", "北京", "朝阳区 建国路 1号"])]


def test_a_quote_never_closed_is_reported_not_swallowing_the_rest():
    data = b'Company name,City\nAcme,Beijing\n"Beta,Shanghai\nGamma,Guangzhou\n'
    message = error(data)
    assert message.startswith("Row 3: a quotation mark opens a cell that is never closed")


def test_rows_can_be_read_again_and_the_source_is_left_open():
    source = io.BytesIO(csv_bytes([HEADERS, *ROWS]))
    table = open_table(source)
    first = list(table.rows())
    assert list(table.rows()) == first == [(2, ROWS[0]), (3, ROWS[1])]
    earlier, later = table.rows(), table.rows()
    next(earlier)
    assert next(later) == (2, ROWS[0])
    with pytest.raises(RuntimeError, match="another pass"):
        next(earlier)
    table.close()
    with pytest.raises(ValueError, match="closed"):
        list(table.rows())
    assert not source.closed


def test_a_path_an_uploaded_file_and_a_stream_that_cannot_seek(tmp_path):
    data = csv_bytes([HEADERS, *ROWS], "gbk")
    path = tmp_path / "客户名单.csv"
    path.write_bytes(data)
    expected = [(2, ROWS[0]), (3, ROWS[1])]
    for source in (path, str(path)):
        with open_table(source) as table:
            assert (table.filename, table.size, list(table.rows())) == (
                path.name,
                len(data),
                expected,
            )

    upload = SimpleUploadedFile("clients.csv", data)
    upload.read()  # a form may have read it already
    with open_table(upload) as table:
        assert (table.filename, table.encoding, list(table.rows())) == (
            "clients.csv",
            "gb18030",
            expected,
        )

    temporary = TemporaryUploadedFile("clients.csv", "text/csv", len(data), None)
    temporary.write(data)
    with open_table(temporary) as table:
        assert list(table.rows()) == expected
    temporary.close()

    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    with open(read_fd, "rb", buffering=0) as pipe, open_table(pipe) as table:
        assert list(table.rows()) == expected


def test_a_path_that_cannot_be_opened(tmp_path):
    with pytest.raises(ImportFileError) as raised:
        open_table(tmp_path / "missing.csv")
    assert raised.value.messages == [
        "The file missing.csv cannot be opened (No such file or directory)."
    ]


def test_the_format_is_told_from_the_bytes_not_the_name(tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes(xlsx_bytes([HEADERS, ROWS[0]]))
    with open_table(path, filename="clients.csv") as table:
        assert table.format == "xlsx"
    path = tmp_path / "clients.xlsx"
    path.write_bytes(csv_bytes([HEADERS, ROWS[0]]))
    with open_table(path) as table:
        assert table.format == "csv"


# -- XLSX ------------------------------------------------------------------------------------


def test_xlsx_with_chinese_headers_and_typed_cells():
    rows = [
        [*HEADERS, "联系电话"],
        [
            "\u3000北京甲科技有限公司 ",
            "91110000600037341L",
            "北京",
            "朝阳区",
            120,
            datetime.datetime(2024, 3, 5),  # noqa: DTZ001 (a spreadsheet cell holds no time zone)
            13800138000,
        ],
        [
            "上海乙",
            "91350100M000100Y43",
            "上海",
            "浦东新区",
            35.0,
            datetime.datetime(2024, 3, 5, 14, 30),  # noqa: DTZ001 (a spreadsheet cell holds no time zone)
            "021-12345678",
        ],
        [None] * 7,  # an empty row: skipped, but counted
        ["广州丙", "9144030071526726XG", "广州", "天河区", "１２", "2024年3月5日", True],
    ]
    table, got = read(xlsx_bytes(rows))
    assert (table.format, table.encoding, table.sheet_name) == ("xlsx", None, "客户")
    assert table.headers == [*HEADERS, "联系电话"]
    assert table.total_rows == 4
    assert got == [
        (
            2,
            [
                "北京甲科技有限公司",
                "91110000600037341L",
                "北京",
                "朝阳区",
                120,
                D(2024, 3, 5),
                13800138000,
            ],
        ),
        (
            3,
            [
                "上海乙",
                "91350100M000100Y43",
                "上海",
                "浦东新区",
                35.0,
                datetime.datetime(2024, 3, 5, 14, 30),  # noqa: DTZ001 (a spreadsheet cell holds no time zone)
                "021-12345678",
            ],
        ),
        (5, ["广州丙", "9144030071526726XG", "广州", "天河区", "12", "2024年3月5日", "TRUE"]),
    ]
    assert type(got[0][1][5]) is D
    assert parse_date(got[0][1][5]) == D(2024, 3, 5) == parse_date(got[2][1][5])
    assert parse_int(got[1][1][4]) == 35


def rewrite_sheet(data: bytes, old: bytes, new: bytes) -> bytes:
    """The workbook ``data`` with ``old`` replaced by ``new`` in its first sheet's XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old in content
                content = content.replace(old, new)
            target.writestr(item, content)
    return out.getvalue()


def test_xlsx_rows_are_the_sheet_row_numbers_and_a_wrong_dimension_is_ignored():
    def gaps(workbook, sheet):
        sheet["A9"] = "后面的公司"
        sheet["B9"] = "深圳"

    data = xlsx_bytes([["企业名称", "城市"], ["甲公司", "北京"]], gaps)
    table, got = read(data)
    assert got == [(2, ["甲公司", "北京"]), (9, ["后面的公司", "深圳"])]
    assert table.total_rows == 2  # rows holding something, less the header
    # A writer that got <dimension> wrong (openpyxl would stop reading at row 2).
    wrong = rewrite_sheet(data, b'<dimension ref="A1:B9" />', b'<dimension ref="A1:B2" />')
    assert read(wrong)[1] == got


def test_xlsx_sheet_xml_with_a_namespace_prefix():
    """Some writers (the .NET Open XML SDK) prefix every element: x:row, x:mergeCell."""

    def merge(workbook, sheet):
        sheet.merge_cells("A2:B2")

    data = xlsx_bytes([["企业名称", "城市"], ["甲公司", None], ["乙公司", "上海"]], merge)
    prefixed = rewrite_sheet(data, b"<mergeCell ", b"<x:mergeCell xmlns:x='x' ")
    assert error(prefixed).startswith("Cells A2:B2 are merged")


def test_xlsx_reads_the_active_sheet_or_the_one_named():
    def sheets(workbook, sheet):
        notes = workbook.create_sheet("说明", 0)
        notes.append(["请在“客户”表中填写"])
        workbook.active = 1

    data = xlsx_bytes([["企业名称"], ["甲公司"]], sheets)
    table, got = read(data)
    assert (table.sheet_name, got) == ("客户", [(2, ["甲公司"])])
    table, got = read(data, sheet="说明")
    assert (table.headers, got) == (["请在“客户”表中填写"], [])
    assert error(data, sheet="Sheet9") == "The workbook has no sheet “Sheet9” (it has: 说明, 客户)."


def test_a_formula_cell_is_refused_naming_the_cell():
    def formula(workbook, sheet):
        sheet["C5"] = "=SUM(B2:B4)"

    rows = [["企业名称", "员工人数", "合计"], ["甲", 1], ["乙", 2], ["丙", 3], ["合计"]]
    message = error(xlsx_bytes(rows, formula))
    assert message == (
        "Cell C5 holds a formula (=SUM(B2:B4)); copy the sheet and paste values only, then "
        "upload again."
    )


def test_a_formula_in_the_header_and_an_error_value_are_refused():
    def header_formula(workbook, sheet):
        sheet["B1"] = '=CONCAT("城","市")'

    assert error(xlsx_bytes([["企业名称"]], header_formula)).startswith(
        'Cell B1 holds a formula (=CONCAT("城","市"));'
    )
    assert error(xlsx_bytes([["企业名称", "城市"], ["甲", "#N/A"]])) == (
        "Cell B2 holds the error #N/A: correct it and upload again."
    )


def test_merged_header_cells_are_refused():
    def merge(workbook, sheet):
        sheet.merge_cells("C1:D1")

    message = error(
        xlsx_bytes([["企业名称", "城市", "联系人", None], ["甲", "北京", "张", "138"]], merge)
    )
    assert message == (
        "Header cells C1:D1 are merged: give every column its own header in row 1, then upload "
        "again."
    )


def test_merged_data_cells_are_refused_rather_than_read_as_empty():
    def merge(workbook, sheet):
        sheet.merge_cells("B2:B3")

    rows = [["企业名称", "城市"], ["甲", "北京"], ["乙", None]]
    assert error(xlsx_bytes(rows, merge)).startswith("Cells B2:B3 are merged, so only the first")


def test_an_xlsx_with_no_data_and_one_with_only_headers():
    assert error(xlsx_bytes([])) == "The file is empty."
    table, got = read(xlsx_bytes([HEADERS]))
    assert (table.headers, table.total_rows, got) == (HEADERS, 0, [])


# -- Headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [csv_bytes, xlsx_bytes])
def test_header_only_file_has_no_rows(build):
    table, got = read(build([HEADERS]))
    assert table.headers == HEADERS
    assert got == []


@pytest.mark.parametrize("build", [csv_bytes, xlsx_bytes])
def test_an_empty_first_row_is_no_header_row(build):
    assert error(build([[], ["甲公司", "北京"]])) == (
        "Row 1 is empty: the first row must hold the column headers."
    )


@pytest.mark.parametrize("build", [csv_bytes, xlsx_bytes])
def test_an_empty_header_between_others_is_refused(build):
    message = error(build([["企业名称", "城市", "", "联系人"], ["甲", "北京", "x", "张"]]))
    assert message == (
        "Header cell C1 is empty (merged header cells?): give every column its own header in row 1."
    )


@pytest.mark.parametrize("build", [csv_bytes, xlsx_bytes])
def test_duplicate_headers_are_refused(build):
    message = error(build([["企业名称", "City", "地址", " city\u3000", "ＣＩＴＹ"]]))
    assert message == (
        "The header “City” appears more than once (columns B, D, E): give every column its own "
        "header."
    )


# -- Files that are not a readable table -----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf \r\n\t\r\n", b"\n\n\n", b",,,\r\n,,\r\n"],
    ids=["0 bytes", "BOM only", "BOM and whitespace", "blank lines", "empty cells"],
)
def test_empty_files(data):
    assert error(data) == "The file is empty."


def test_binary_junk():
    junk = bytes(range(256)) * 4
    assert error(junk).startswith("This is not a text (CSV) file or an .xlsx workbook")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "an image (PNG)"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "an image (JPEG)"),
        (b"\x1f\x8b\x08\x00" + bytes(20), "a compressed archive"),
    ],
)
def test_other_kinds_of_file_are_named(data, what):
    assert error(data) == f"This is {what}, not a spreadsheet: upload a CSV or .xlsx file."


def zip_bytes(names):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return data.getvalue()


def test_zip_files_that_are_not_xlsx():
    docx = zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
    assert error(docx) == (
        "This is a Word document (.docx), not a spreadsheet: upload a CSV or .xlsx file."
    )
    ods = zip_bytes({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"})
    assert error(ods).startswith("OpenDocument spreadsheets (.ods) are not supported")
    xlsb = zip_bytes({"[Content_Types].xml": "<Types/>", "xl/workbook.bin": "x"})
    assert error(xlsb).startswith("Excel binary workbooks (.xlsb) are not supported")
    assert error(zip_bytes({"clients.csv": "a,b"})) == (
        "This is a ZIP archive, not a spreadsheet: upload a CSV or .xlsx file."
    )
    truncated = xlsx_bytes([HEADERS])[:2000]
    assert error(truncated).startswith("The file looks like an .xlsx workbook but cannot be opened")


def test_text_that_is_not_csv():
    html = "<html><body><table><tr><td>企业名称</td></tr></table></body></html>".encode()
    assert error(html).startswith("This is a web page (HTML), not a spreadsheet")
    xml_2003 = (
        b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
    )
    assert error(xml_2003).startswith("Excel 2003 XML spreadsheets are not supported")
    utf16 = "企业名称\t城市\r\n".encode("utf-16")
    assert error(utf16).startswith("The file is UTF-16 text")


def ole2(streams: dict[str, bytes]) -> bytes:
    """A minimal but well-formed OLE2 compound file (version 3, 512-byte sectors) holding the
    given streams (each padded to 4096 bytes so it lives in the FAT, not the mini stream),
    with its directory after the stream data as Excel often writes it. Detection only looks
    for the directory entry names; olefile and msoffcrypto read these files too."""
    sector = 512
    end, free, fat_mark = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    data, fat, starts = b"", [], []
    for content in streams.values():
        content = content.ljust(max(4096, -(-len(content) // sector) * sector), b"\0")
        first = len(fat)
        count = len(content) // sector
        fat += [first + i + 1 for i in range(count - 1)] + [end]
        starts.append((first, len(content)))
        data += content
    entries = [("Root Entry", 5, end, 0, 1)]
    entries += [
        (name, 2, start, size, 0) for name, (start, size) in zip(streams, starts, strict=True)
    ]
    directory = b""
    for index, (name, kind, start, size, child) in enumerate(entries):
        encoded = (name + "\0").encode("utf-16-le")
        right = index + 1 if 0 < index < len(entries) - 1 else free
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded),
            kind,
            1,
            free,
            right,
            child if kind == 5 else free,
            bytes(16),
            0,
            0,
            0,
            start,
            size,
        )
    directory = directory.ljust(-(-len(directory) // sector) * sector, b"\0")
    directory_start = len(fat)
    directory_count = len(directory) // sector
    fat += [directory_start + i + 1 for i in range(directory_count - 1)] + [end]
    fat_start = len(fat)
    fat_count = -(-(len(fat) + 1) // (sector // 4))
    while fat_count * (sector // 4) < len(fat) + fat_count:
        fat_count += 1
    fat += [fat_mark] * fat_count
    fat += [free] * (fat_count * (sector // 4) - len(fat))
    difat = list(range(fat_start, fat_start + fat_count)) + [free] * (109 - fat_count)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("d0cf11e0a1b11ae1"),
        bytes(16),
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        bytes(6),
        0,
        fat_count,
        directory_start,
        0,
        4096,
        end,
        0,
        end,
        0,
    ) + struct.pack("<109I", *difat)
    return header + data + directory + struct.pack(f"<{len(fat)}I", *fat)


def test_old_xls_files():
    xls = ole2({"Workbook": b"\x09\x08" + bytes(5000), "\x05SummaryInformation": bytes(100)})
    assert error(xls) == "Old Excel 97–2003 .xls files are not supported: save it as .xlsx or CSV."
    assert error(ole2({"WordDocument": bytes(100)})).startswith("This is an old Word document")


PROTECTED = (
    "The workbook is password-protected: remove the password in Excel (File > Info > Protect "
    "Workbook) and upload it again."
)


def test_password_protected_workbook():
    """Hand-built: an OLE2 file holding EncryptionInfo and EncryptedPackage streams, the
    package 3 MB long so that the directory naming it lies well past the first megabyte."""
    protected = ole2(
        {"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(200), "EncryptedPackage": bytes(3 * MB)}
    )
    assert protected.find("EncryptedPackage".encode("utf-16-le")) > 3 * MB
    assert error(protected) == PROTECTED


def test_password_protected_workbook_saved_by_an_encrypting_library():
    """A real encrypted .xlsx (ECMA-376 agile encryption, as Excel writes it). msoffcrypto-tool
    is not a dependency of the project: where it is not installed this test skips, except
    under CI=true where it fails."""
    if os.environ.get("CI") == "true":
        from msoffcrypto.format.ooxml import OOXMLFile
    else:
        OOXMLFile = pytest.importorskip("msoffcrypto.format.ooxml").OOXMLFile
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx_bytes([HEADERS, ROWS[0]]))).encrypt("secret", encrypted)
    assert error(encrypted.getvalue()) == PROTECTED


# -- Size limit ------------------------------------------------------------------------------


def test_human_size():
    assert human_size(int(73.2 * MB)) == "73.2 MB"
    assert human_size(50 * MB) == "50 MB"
    assert human_size(2500) == "2.4 KB"
    assert human_size(999) == "999 bytes"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(settings, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(int(73.2 * MB))  # sparse: only its size is looked at
    assert settings.CERTBODY["IMPORT_MAX_BYTES"] == 50 * MB
    with pytest.raises(ImportFileError) as raised:
        open_table(path)
    assert raised.value.messages == ["The file is 73.2 MB; the limit is 50 MB."]

    settings.CERTBODY = {**settings.CERTBODY, "IMPORT_MAX_BYTES": 1000}
    data = csv_bytes([HEADERS, *ROWS * 20])
    assert error(data) == f"The file is {human_size(len(data))}; the limit is 1000 bytes."
    assert error(data, max_bytes=len(data) - 1).startswith("The file is ")
    assert read(data, max_bytes=len(data))[0].headers == HEADERS

    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    with open(read_fd, "rb", buffering=0) as pipe, pytest.raises(ImportFileError) as raised:
        open_table(pipe)
    assert raised.value.messages == ["The file is larger than the limit of 1000 bytes."]


# -- Streaming -------------------------------------------------------------------------------


def test_rows_stream_a_large_csv_in_bounded_memory(tmp_path):
    path = tmp_path / "clients.csv"
    count = 200_000
    with path.open("w", encoding="gb18030", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        for i in range(count):
            writer.writerow(
                [
                    f"测试企业{i}有限公司",
                    f"91110000{i:09d}X",
                    "北京",
                    f"朝阳区建国路{i}号",
                    50 + i % 500,
                    "2023-01-01",
                ]
            )
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with open_table(path) as table:
            rows = 0
            for number, values in table.rows():  # noqa: B007 (the last ones are checked)
                rows += 1
            _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (table.encoding, rows, number, values[0]) == (
        "gb18030",
        count,
        count + 1,
        "测试企业199999有限公司",
    )
    print(f"\n200,000-row CSV of {size / MB:.1f} MB: peak traced memory {peak / MB:.2f} MB")
    assert peak < 20 * MB


# -- columns.py ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  a  b  ", "a b"),
        ("\u3000甲\u3000\u3000公司\u3000", "甲 公司"),
        ("a\u00a0\u00a0b", "a b"),
        ("a\tb\r\nc", "a b c"),
        ("ＡＢＣ１２３（北京）", "ABC123(北京)"),
        ("\ufeff名称\u200b", "名称"),
        (120, "120"),
    ],
)
def test_normalise_text(value, expected):
    assert normalise_text(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-05",
        "2024-3-5",
        "2024/3/5",
        "2024/03/05",
        "2024.3.5",
        "20240305",
        "2024年3月5日",
        "2024 年 3 月 5 日",
        "2024年03月05号",
        "２０２４－０３－０５",
        "２０２４年３月５日",
        " 2024-03-05 00:00:00 ",
        "2024-03-05T09:30",
        20240305,
        20240305.0,
        D(2024, 3, 5),
        datetime.datetime(2024, 3, 5, 16, 0),  # noqa: DTZ001 (a spreadsheet cell holds no time zone)
    ],
)
def test_parse_date_formats(value):
    assert parse_date(value) == D(2024, 3, 5)
    assert type(parse_date(value)) is D


def test_parse_date_leap_day():
    assert parse_date("2024/2/29") == D(2024, 2, 29)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2024-13-01", "there is no such day"),
        ("2024-02-30", "there is no such day"),
        ("2023年2月29日", "there is no such day"),
        ("20241301", "there is no such day"),
        ("24/3/5", "write the year with four digits"),
        ("24-03-05", "write the year with four digits"),
        ("24年3月5日", "write the year with four digits"),
        ("05/03/2024", "write the year first"),
        ("2024-3/5", "use e.g. 2024-03-05, 2024/3/5, 20240305 or 2024年3月5日"),
        ("240305", "use e.g."),
        ("March 5, 2024", "use e.g."),
        ("", "use e.g."),
        (45356, "the cell holds a number"),
    ],
)
def test_parse_date_refuses(value, why):
    with pytest.raises(ValueError) as raised:
        parse_date(value)
    assert str(raised.value).startswith(f'not a date: "{normalise_text(value)}" (')
    assert why in str(raised.value)


def test_parse_date_message_in_full():
    with pytest.raises(ValueError) as raised:
        parse_date("2024/1x/01")
    assert str(raised.value) == (
        'not a date: "2024/1x/01" (use e.g. 2024-03-05, 2024/3/5, 20240305 or 2024年3月5日)'
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234", 1234),
        ("1,234", 1234),
        ("1,234,567", 1234567),
        ("1 234", 1234),
        ("１２３４", 1234),
        ("１，２３４", 1234),
        (" 12 ", 12),
        ("+5", 5),
        ("-5", -5),
        ("\u22125", -5),
        ("1234.0", 1234),
        (1234, 1234),
        (1234.0, 1234),
        (0, 0),
    ],
)
def test_parse_int(value, expected):
    assert parse_int(value) == expected


@pytest.mark.parametrize("value", ["12.5", 12.5, "1,23", "1,2345", "12a", "", "约120", True, None])
def test_parse_int_refuses(value):
    with pytest.raises(ValueError) as raised:
        parse_int(value)
    assert str(raised.value).startswith(f'not a whole number: "{normalise_text(value)}"')


def test_header_key():
    assert header_key(" Company_Name ") == header_key("company-name") == "companyname"
    assert header_key("ＣＯＭＰＡＮＹ　ＮＡＭＥ") == "companyname"
    assert header_key("*企业名称（必填）") == "企业名称必填"
    assert header_key("E-mail") == header_key("email")


def test_map_headers_chinese():
    mapped = map_headers(HEADERS, CLIENT_COLUMNS)
    assert mapped.fields == {
        "legal_name": 0,
        "registration_id": 1,
        "city": 2,
        "address": 3,
        "effective_personnel": 4,
        "system_operating_since": 5,
    }
    assert (mapped.unknown, mapped.missing, mapped.ambiguous) == ([], [], {})


def test_map_headers_english_mixed_case_spaced_and_full_width():
    headers = [
        "COMPANY NAME",
        "unified_social_credit_code",
        " city ",
        "ＡＤＤＲＥＳＳ",
        "Number of employees",
        "E-Mail",
        "Tel.",
        "Standard applied for",
        "ms operating since",
        "legal_name",
    ]
    mapped = map_headers(headers, CLIENT_COLUMNS)
    assert mapped.fields == {
        "legal_name": 0,
        "registration_id": 1,
        "city": 2,
        "address": 3,
        "effective_personnel": 4,
        "contact_email": 5,
        "contact_phone": 6,
        "standard": 7,
        "system_operating_since": 8,
    }
    assert mapped.ambiguous == {"legal_name": ["COMPANY NAME", "legal_name"]}
    assert mapped.missing == []


def test_map_headers_aliases_qualifiers_unknown_and_missing():
    headers = ["公司名称（全称）", "备注", "所在城市", "信用代码*", "手机号", "Fax", "多场所"]
    mapped = map_headers(headers, CLIENT_COLUMNS)
    assert mapped.fields == {
        "legal_name": 0,
        "city": 2,
        "registration_id": 3,
        "contact_phone": 4,
        "sites": 6,
    }
    assert mapped.unknown == ["备注", "Fax"]
    assert mapped.missing == ["address", "effective_personnel"]


def test_every_column_matches_its_labels_and_aliases():
    for name, column in CLIENT_COLUMNS.items():
        for header in (name, *column.headers()):
            assert map_headers([header], CLIENT_COLUMNS).fields == {name: 0}, header


def test_two_fields_accepting_one_header_is_a_programming_error():
    with pytest.raises(ValueError, match="accepted for both"):
        map_headers(["x"], {"a": Column("名称", "Name"), "b": Column("名字", "name")})


def test_the_documented_mapping_lists_every_header():
    for name, column in CLIENT_COLUMNS.items():
        for text in (name, *column.headers()):
            assert text in columns_module.__doc__, text
