"""Read an uploaded CSV or XLSX file one row at a time, whatever people send.

:func:`open_table` tells the format from the bytes (never the file name), checks the size,
reads the header row and returns a :class:`Table` whose :meth:`Table.rows` streams the data
rows: memory stays bounded whatever the file size. Anything that makes the file as a whole
unusable (empty, binary, the wrong format, password-protected, too large, bytes not valid in
the encoding, a formula, merged cells, missing or repeated headers) raises
:class:`ImportFileError` with a message a person understands; problems with single values
are the import engine's to report.

CSV: UTF-8, UTF-8 with a byte order mark, or GBK/GB18030, chosen by the user or detected;
comma, tab or semicolon delimited (the one used most in the header line; an Excel
``sep=;`` first line is honoured). XLSX: the active worksheet (or the one named), read with
openpyxl in read-only mode.

A workbook is a ZIP of XML parts, and a few hundred KB of it can unpack to gigabytes: before
openpyxl reads anything, :func:`check_workbook` refuses one whose ZIP directory holds more than
IMPORT_MAX_ZIP_MEMBERS parts, that unpacks to more than IMPORT_MAX_UNPACKED_BYTES, with a part
(of over 1 MB) packed more than IMPORT_MAX_COMPRESSION_RATIO times, or with a part larger than
IMPORT_MAX_XML_PART_BYTES among those openpyxl parses whole (all but the worksheets, which it
streams, and the shared strings), or with shared strings over IMPORT_MAX_SHARED_STRINGS_BYTES.
The shared strings (each distinct text of the cells) are not streamed: openpyxl's
``read_string_table`` makes a list of all of them before the first row is read, 4-20 times the
size of their XML. So they have their own, lower limit, and before openpyxl opens the workbook
their ``<si>`` elements are counted in one streamed pass (:func:`check_shared_strings`) and
more than IMPORT_MAX_SHARED_STRINGS refused. The sizes in the directory can lie, but no more is
ever unpacked than they declare: Python's zipfile stops a part there (and then fails its CRC
check).
Before the rows are read, the worksheet is scanned (:func:`scan_sheet`): a cell past column
IMPORT_MAX_COLUMNS or a row past Excel's last (1,048,576) is refused, as openpyxl would fill
every row up to its last cell and every missing row up to the highest number. The sheet's
declared ``<dimension>`` is not trusted (nor used). Each message names the setting.

Text cells that a CSV export neutralised against formula injection (``'=…``, ``'+86…``) are read
without that quote (infra/csvsafe.py).
"""

import codecs
import csv
import datetime
import io
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents
from openpyxl.reader.excel import _find_workbook_part
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.xml.functions import fromstring

from core.errors import DomainError
from core.policy import policy
from infra.csvsafe import unneutralise

from .columns import display_value, normalise_text


class ImportFileError(DomainError):
    """The file as a whole cannot be read; .messages says why, in words a person understands
    (gettext_lazy strings)."""


# -- Messages --------------------------------------------------------------------------------

EMPTY = _("The file is empty.")
CANNOT_OPEN = _("The file %(name)s cannot be opened (%(error)s).")
TOO_BIG = _("The file is %(size)s; the limit is %(limit)s.")
TOO_BIG_STREAM = _("The file is larger than the limit of %(limit)s.")
ENCRYPTED = _(
    "The workbook is password-protected: remove the password in Excel (File > Info > Protect "
    "Workbook) and upload it again."
)
OLD_XLS = _("Old Excel 97–2003 .xls files are not supported: save it as .xlsx or CSV.")  # noqa: RUF001 (an en dash)
XLSB = _("Excel binary workbooks (.xlsb) are not supported: save it as .xlsx or CSV.")
ODS = _("OpenDocument spreadsheets (.ods) are not supported: save it as .xlsx or CSV.")
NUMBERS = _("Apple Numbers files are not supported: export it as .xlsx or CSV.")
XML_2003 = _("Excel 2003 XML spreadsheets are not supported: save it as .xlsx or CSV.")
HTML = _(
    "This is a web page (HTML), not a spreadsheet (some systems' “export to Excel” makes "
    "one): open it in Excel, save it as .xlsx or CSV and upload that."
)
WRONG_FORMAT = _("This is %(what)s, not a spreadsheet: upload a CSV or .xlsx file.")
WHAT_DOCX = _("a Word document (.docx)")
WHAT_DOC = _("an old Word document (.doc)")
WHAT_PPTX = _("a PowerPoint presentation (.pptx)")
WHAT_PPT = _("an old PowerPoint presentation (.ppt)")
WHAT_ZIP = _("a ZIP archive")
WHAT_ARCHIVE = _("a compressed archive")
WHAT_PDF = _("a PDF document")
WHAT_IMAGE = _("an image (%(kind)s)")
WHAT_XML = _("an XML file")
BINARY = _(
    "This is not a text (CSV) file or an .xlsx workbook: upload a CSV or .xlsx file "
    "(in Excel: File > Save As > CSV UTF-8 or Excel Workbook)."
)
UTF16 = _(
    "The file is UTF-16 text (Excel's “Unicode Text”): save it as “CSV UTF-8” and upload it again."
)
ZIP_DAMAGED = _(
    "The file looks like an .xlsx workbook but cannot be opened (%(error)s): open it in Excel, "
    "save it again and upload that."
)
UNKNOWN_ENCODING = _(
    "Unknown encoding “%(encoding)s”: choose UTF-8, UTF-8 with BOM, GBK or GB18030."
)
BAD_BYTES = _(
    "Row %(row)s, column %(column)s: the text is not valid %(encoding)s. Choose the file's "
    "encoding (GBK/GB18030 or UTF-8; --encoding on the command line) and upload it again, or "
    "save the file as “CSV UTF-8”."
)
NUL_BYTE = _(
    "Row %(row)s, column %(column)s: the file holds a NUL byte, which is binary data, not text: "
    "the file is damaged or not a CSV file. Open it in Excel and save it again as “CSV UTF-8”."
)
CSV_BROKEN = _(
    "Row %(row)s cannot be read (%(error)s): a quoted cell may never be closed (a stray "
    "quotation mark), or a cell is longer than %(limit)s characters."
)
UNCLOSED_QUOTE = _(
    "Row %(row)s: a quotation mark opens a cell that is never closed, so the rest of the file "
    "would be read into that cell: remove the stray quotation mark or close the quote, then "
    "upload again."
)
NO_HEADER = _("Row 1 is empty: the first row must hold the column headers.")
EMPTY_HEADER = _(
    "Header cell %(cell)s is empty (merged header cells?): give every column its own header "
    "in row 1."
)
DUPLICATE_HEADER = _(
    "The header “%(header)s” appears more than once (columns %(columns)s): give every column "
    "its own header."
)
FORMULA = _(
    "Cell %(cell)s holds a formula (%(formula)s); copy the sheet and paste values only, then "
    "upload again."
)
ERROR_CELL = _("Cell %(cell)s holds the error %(error)s: correct it and upload again.")
MERGED_HEADER = _(
    "Header cells %(range)s are merged: give every column its own header in row 1, then "
    "upload again."
)
MERGED_CELLS = _(
    "Cells %(range)s are merged, so only the first of them holds a value: unmerge them (Home "
    "> Merge & Center) and fill in every cell, then upload again."
)
NO_SHEET = _("The workbook has no worksheet.")
UNKNOWN_SHEET = _("The workbook has no sheet “%(sheet)s” (it has: %(sheets)s).")
XLSX_BROKEN = _(
    "The workbook cannot be read (%(error)s): open it in Excel, save it again and upload that."
)
XLSX_BROKEN_AT = _(
    "The workbook cannot be read after row %(row)s (%(error)s): open it in Excel, save it "
    "again and upload that."
)
UNPACKED_TOO_BIG = _(
    "The workbook unpacks to %(size)s; at most %(limit)s is accepted "
    "(CERTBODY_IMPORT_MAX_UNPACKED_BYTES). Split it into smaller files, or save it as CSV."
)
TOO_MANY_PARTS = _(
    "The workbook holds more than %(limit)s parts (files inside the .xlsx), the most accepted "
    "(CERTBODY_IMPORT_MAX_ZIP_MEMBERS): open it in Excel, save it again and upload that."
)
RATIO_TOO_HIGH = _(
    "The workbook part %(part)s unpacks to %(size)s from %(packed)s, %(ratio)s times its packed "
    "size; at most %(limit)s times is accepted (CERTBODY_IMPORT_MAX_COMPRESSION_RATIO). Delete "
    "the empty rows and columns, save it again and upload that, or save it as CSV."
)
PART_TOO_BIG = _(
    "The workbook part %(part)s unpacks to %(size)s; at most %(limit)s is accepted for a part "
    "other than a worksheet or its shared strings (CERTBODY_IMPORT_MAX_XML_PART_BYTES). Remove "
    "pictures, charts and unused cell styles, or save it as CSV."
)
TOO_MANY_COLUMNS = _(
    "Cell %(cell)s is in column %(column)s; at most %(limit)s columns are accepted "
    "(CERTBODY_IMPORT_MAX_COLUMNS): delete the columns after %(last)s and upload again."
)
SHARED_STRINGS_TOO_BIG = _(
    "The workbook's shared strings (the text of its cells, part %(part)s) unpack to %(size)s; "
    "at most %(limit)s is accepted (CERTBODY_IMPORT_MAX_SHARED_STRINGS_BYTES), as they are all "
    "read into memory at once. Split the list into smaller files, or save it as CSV (read row "
    "by row, whatever its size up to the upload limit)."
)
TOO_MANY_SHARED_STRINGS = _(
    "The workbook holds more than %(limit)s different texts (shared strings), the most accepted "
    "(CERTBODY_IMPORT_MAX_SHARED_STRINGS), as they are all read into memory at once. Split the "
    "list into smaller files, or save it as CSV (read row by row, whatever its size up to the "
    "upload limit)."
)
ROW_PAST_EXCEL = _(
    "The worksheet has a row numbered %(row)s, past the last row of Excel (%(limit)s): the file "
    "is damaged. Open it in Excel, save it again and upload that."
)

# -- Formats ---------------------------------------------------------------------------------

# What a user may choose (any case, "_" for "-") -> the codec used. GBK and GB2312 are
# subsets of GB18030.
_CHOSEN_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
    "gb18030": "gb18030",
}
_BOM = codecs.BOM_UTF8
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_ARCHIVES = (b"\x1f\x8b", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c")
_HEAD = 8 * 1024  # bytes looked at to tell the format
_SAMPLE = 64 * 1024  # bytes of text looked at to tell the encoding
_CHUNK = 1024 * 1024
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes the decoder could not read (surrogateescape)
_SEP_LINE = re.compile(r"\s*sep=([,;\t|])\s*")
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Za-z0-9:$]+)"')
_MB = 1024 * 1024
# A row or cell start tag (any namespace prefix) and its r attribute when it has one:
# <row r="12" ...>, <x:c r="AB12" t="s">, <c t="s"> (a cell without r is the next column).
_SHEET_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])"
    rb"""(?:[^<>]*?\sr\s*=\s*["']([A-Za-z]*)(\d+)["'])?"""
)
EXCEL_MAX_ROWS = 1_048_576
# A part packed this well is a bomb only when it is large: below this size it cannot hurt.
_RATIO_MIN_BYTES = _MB
# The parts openpyxl streams rather than parsing whole: the worksheets only. The shared strings
# are read into one list before the first row (openpyxl/reader/strings.py): they are held to
# IMPORT_MAX_SHARED_STRINGS_BYTES and IMPORT_MAX_SHARED_STRINGS instead of the part limit.
_STREAMED_TYPES = ("/worksheet",)
_SHARED_STRINGS_REL = "/sharedStrings"
# A shared string's start tag, any namespace prefix: <si>, <si/>, <x:si ...> (not <sst>).
_SI_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si(?=[\s/>])")
_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 -> "A", 27 -> "AB"."""
    return get_column_letter(index + 1)


def human_size(size: int) -> str:
    """73.2 MB, 50 MB, 12 KB, 100 bytes (1 MB = 1024 * 1024 bytes, as IMPORT_MAX_BYTES)."""
    for unit, scale in (("MB", _MB), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


@dataclass(eq=False)
class Table:
    format: str  # "csv" or "xlsx"
    encoding: str | None  # csv only: "utf-8", "utf-8-sig" or "gb18030"
    headers: list[str]  # header row, each normalised with columns.normalise_text
    total_rows: int | None  # xlsx: data rows (an upper bound: empty rows count); csv: None
    delimiter: str | None = None  # csv only
    sheet_name: str | None = None  # xlsx only: the worksheet read
    filename: str | None = None
    size: int | None = None  # bytes
    _reader: "_CsvReader | _XlsxReader | None" = field(default=None, repr=False)
    _owned: list = field(default_factory=list, repr=False)
    _pass: int = field(default=0, repr=False)

    def rows(self) -> Iterator[tuple[int, list]]:
        """(row number as a person sees it in a spreadsheet: header = 1, first data row = 2;
        a CSV record with line breaks inside a quoted cell counts as one row), values).
        Values are str (normalise_text applied) or, for typed xlsx cells, datetime.date / int /
        float (a datetime at midnight becomes a date; one with a time stays a datetime). Empty
        cells are "". Rows that are entirely empty are skipped. Rows shorter than the header
        are padded with "", longer rows keep their extra non-empty values (trailing empty cells
        past the header are dropped). Streams: each call starts a new pass from the first data
        row (one pass at a time: starting another ends the previous one). Raises
        ImportFileError for a problem found on the way (bytes not valid in the encoding naming
        the row and column, a formula or error cell naming the cell, a damaged file)."""
        if self._reader is None:
            raise ValueError("the table is closed")
        self._pass += 1
        this_pass = self._pass
        width = len(self.headers)
        records = self._reader.records()
        try:
            for number, values in records:
                if self._pass != this_pass:
                    raise RuntimeError("another pass over the rows was started")
                if number == 1:
                    continue
                end = len(values)
                while end and values[end - 1] == "":
                    end -= 1
                if not end:
                    continue
                if end < width:
                    del values[end:]
                    values.extend([""] * (width - end))
                elif end < len(values):
                    del values[end:]
                yield number, values
        finally:
            records.close()

    def close(self):
        self._reader = None
        while self._owned:
            self._owned.pop().close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def open_table(
    source,
    *,
    encoding: str | None = None,
    filename: str | None = None,
    max_bytes: int | None = None,
    sheet: str | None = None,
) -> Table:
    """Open ``source`` (a path, or a binary file object such as a Django UploadedFile or a
    BytesIO; it is read from its start and left open) as a :class:`Table`. ``encoding``: the
    CSV encoding the user chose (utf-8, utf-8-sig, gbk, gb18030), else detected. ``filename``
    is only kept on the table (the format is told from the bytes). ``max_bytes``: the size
    limit (default: the IMPORT_MAX_BYTES policy setting). ``sheet``: the XLSX worksheet to read
    (default: the active one). Raises ImportFileError."""
    if max_bytes is None:
        max_bytes = policy("IMPORT_MAX_BYTES")
    chosen = _chosen_encoding(encoding)
    owned: list = []
    try:
        if isinstance(source, str | os.PathLike):
            path = Path(source)
            filename = filename or path.name
            try:
                size = path.stat().st_size
                if size > max_bytes:
                    raise _too_big(size, max_bytes)
                stream = path.open("rb")
            except OSError as exc:
                raise ImportFileError(
                    CANNOT_OPEN % {"name": path.name, "error": exc.strerror or exc}
                ) from exc
            owned.append(stream)
        else:
            filename = filename or getattr(source, "name", None)
            stream, size = _seekable_stream(source, max_bytes, owned)
            if size > max_bytes:
                raise _too_big(size, max_bytes)
        table = _open_stream(stream, size, chosen, sheet, owned)
    except BaseException:
        for resource in reversed(owned):
            resource.close()
        raise
    table.filename = filename and os.path.basename(str(filename))
    table.size = size
    table._owned = owned
    return table


def _too_big(size: int, limit: int) -> ImportFileError:
    return ImportFileError(TOO_BIG % {"size": human_size(size), "limit": human_size(limit)})


def _chosen_encoding(encoding: str | None) -> str | None:
    if not encoding:
        return None
    codec = _CHOSEN_ENCODINGS.get(encoding.strip().lower().replace("_", "-"))
    if codec is None:
        raise ImportFileError(UNKNOWN_ENCODING % {"encoding": display_value(encoding)})
    return codec


def _seekable_stream(source, max_bytes: int, owned: list):
    """(a seekable binary stream at offset 0, its size) for a file object; one that cannot
    seek is copied to a temporary file first (at most max_bytes + 1 bytes of it)."""
    try:
        source.seek(0)
        size = getattr(source, "size", None)
        if not isinstance(size, int):
            size = source.seek(0, io.SEEK_END)
            source.seek(0)
        return source, size
    except (AttributeError, OSError, ValueError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=8 * _MB)  # noqa: SIM115 (closed by Table)
    owned.append(spool)
    size = 0
    while chunk := source.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise ImportFileError(TOO_BIG_STREAM % {"limit": human_size(max_bytes)})
        spool.write(chunk)
    spool.seek(0)
    return spool, size


def _open_stream(stream, size: int, chosen: str | None, sheet: str | None, owned: list):
    stream.seek(0)
    head = stream.read(_HEAD)
    stream.seek(0)
    if not head:
        raise ImportFileError(EMPTY)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _check_zip(stream)
        return _open_xlsx(stream, sheet, owned)
    _check_not_binary(stream, head, size)
    return _open_csv(stream, head, chosen)


def _wrong(what) -> ImportFileError:
    return ImportFileError(WRONG_FORMAT % {"what": what})


def _check_zip(stream):
    """An .xlsx workbook is a ZIP holding [Content_Types].xml and xl/workbook.xml; say what
    any other ZIP looks like, and refuse a workbook over the limits (:func:`check_workbook`)
    before anything unpacks it."""
    try:
        _check_zip_directory_size(stream)
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            if len(infos) > policy("IMPORT_MAX_ZIP_MEMBERS"):
                raise _too_many_parts()
            names = {info.filename for info in infos}
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mimetype = member.read(200)
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                _check_workbook_parts(archive, infos)
                return
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError) as exc:
        raise ImportFileError(ZIP_DAMAGED % {"error": display_value(exc, 80)}) from exc
    finally:
        stream.seek(0)
    if "xl/workbook.bin" in names:
        raise ImportFileError(XLSB)
    if b"opendocument.spreadsheet" in mimetype:
        raise ImportFileError(ODS)
    if "Index/Document.iwa" in names:
        raise ImportFileError(NUMBERS)
    if "word/document.xml" in names:
        raise _wrong(WHAT_DOCX)
    if "ppt/presentation.xml" in names:
        raise _wrong(WHAT_PPTX)
    raise _wrong(WHAT_ZIP)


def check_workbook(stream) -> None:
    """Refuse an .xlsx workbook (a binary file object, read from its start and left at it) over
    the import's limits: too many parts, unpacking to too much, packed too well, or a part
    parsed whole too large (see the module's docstring). Reads only the ZIP directory and the
    small parts that say which part is which. Anything that is not a ZIP passes (open_table
    says what it is). Raises ImportFileError naming the limit."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head in (b"PK\x03\x04", b"PK\x05\x06"):
        _check_zip(stream)


def unpacked_size(stream) -> int | None:
    """The size an .xlsx workbook (any ZIP) declares it unpacks to, from its ZIP directory;
    None for a file that is not a ZIP or cannot be read as one. Call check_workbook first:
    this one reads the directory without bounds."""
    stream.seek(0)
    try:
        if stream.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            return None
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    finally:
        stream.seek(0)


def _too_many_parts() -> ImportFileError:
    return ImportFileError(TOO_MANY_PARTS % {"limit": policy("IMPORT_MAX_ZIP_MEMBERS")})


# The end of the ZIP directory: signature, disk numbers, entries here and in all, the directory's
# size and offset, the comment's length; and the ZIP64 versions (locator, then record).
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


def _check_zip_directory_size(stream) -> None:
    """Python's zipfile reads the whole central directory into memory and makes an object of
    every entry: a 50 MB file of empty entries would take gigabytes. So before it does, the
    directory's size (from its end record) must fit IMPORT_MAX_ZIP_MEMBERS entries (46 bytes
    each plus a name, counted at 1 KB each)."""
    end = stream.seek(0, io.SEEK_END)
    start = max(0, end - (_EOCD_SIZE + 0xFFFF))
    stream.seek(start)
    tail = stream.read(end - start)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        return  # not found: zipfile says the file is damaged
    directory_size = int.from_bytes(tail[at + 12 : at + 16], "little")
    locator = tail.rfind(_ZIP64_LOCATOR, 0, at)
    if locator >= 0 and at - locator == 20:
        record_at = int.from_bytes(tail[locator + 8 : locator + 16], "little")
        stream.seek(record_at)
        record = stream.read(56)
        if record[:4] == _ZIP64_EOCD and len(record) == 56:
            directory_size = int.from_bytes(record[40:48], "little")
    stream.seek(0)
    if directory_size > policy("IMPORT_MAX_ZIP_MEMBERS") * 1024:
        raise _too_many_parts()


def _check_workbook_parts(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """The limits on an .xlsx workbook's parts, from the sizes its ZIP directory declares."""
    total = sum(info.file_size for info in infos)
    limit = policy("IMPORT_MAX_UNPACKED_BYTES")
    if total > limit:
        raise ImportFileError(
            UNPACKED_TOO_BIG % {"size": human_size(total), "limit": human_size(limit)}
        )
    ratio_limit = policy("IMPORT_MAX_COMPRESSION_RATIO")
    for info in infos:
        packed = max(info.compress_size, 1)
        if info.file_size > _RATIO_MIN_BYTES and info.file_size > ratio_limit * packed:
            raise ImportFileError(
                RATIO_TOO_HIGH
                % {
                    "part": display_value(info.filename, 60),
                    "size": human_size(info.file_size),
                    "packed": human_size(info.compress_size),
                    "ratio": info.file_size // packed,
                    "limit": ratio_limit,
                }
            )
    part_limit = policy("IMPORT_MAX_XML_PART_BYTES")

    def check(info):
        if info.file_size > part_limit:
            raise ImportFileError(
                PART_TOO_BIG
                % {
                    "part": display_value(info.filename, 60),
                    "size": human_size(info.file_size),
                    "limit": human_size(part_limit),
                }
            )

    # The parts that say which part is which are parsed whole: checked before they are read.
    for info in infos:
        if info.filename == "[Content_Types].xml" or info.filename.endswith(".rels"):
            check(info)
    streamed, shared = _streamed_parts(archive, {info.filename for info in infos})
    shared_limit = policy("IMPORT_MAX_SHARED_STRINGS_BYTES")
    for info in infos:
        if info.filename in shared and info.file_size > shared_limit:
            raise ImportFileError(
                SHARED_STRINGS_TOO_BIG
                % {
                    "part": display_value(info.filename, 60),
                    "size": human_size(info.file_size),
                    "limit": human_size(shared_limit),
                }
            )
        if info.filename not in streamed and info.filename not in shared:
            check(info)


def _streamed_parts(archive: zipfile.ZipFile, names: set[str]) -> tuple[set[str], set[str]]:
    """(the parts openpyxl's read-only mode streams rather than parsing whole: the targets of
    worksheet relationships; the shared strings parts: the content types' one, which openpyxl
    reads, and any target of a shared strings relationship), each less any part that something
    else also points at (the workbook, styles, a chart...): openpyxl finds its parts through
    those same files, which anyone can write."""
    try:
        manifest = Manifest.from_tree(fromstring(archive.read("[Content_Types].xml")))
        workbook = _find_workbook_part(manifest).PartName.lstrip("/")
        shared_part = manifest.find(_SHARED_STRINGS_TYPE)
        streamed, shared, other = set(), set(), {workbook, "[Content_Types].xml"}
        if shared_part is not None:
            shared.add(shared_part.PartName.lstrip("/"))
        for name in names:
            if not name.endswith(".rels"):
                continue
            other.add(name)
            for rel in get_dependents(archive, name):
                if rel.TargetMode == "External":
                    continue
                kind = rel.Type or ""
                if kind.endswith(_STREAMED_TYPES) and "chartsheet" not in kind:
                    streamed.add(rel.target)
                elif kind.endswith(_SHARED_STRINGS_REL):
                    shared.add(rel.target)
                else:
                    other.add(rel.target)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(XLSX_BROKEN % {"error": display_value(exc, 80)}) from exc
    # openpyxl reads these whatever the relationships say.
    other |= {"xl/styles.xml", "docProps/core.xml", "docProps/custom.xml", "xl/theme/theme1.xml"}
    return streamed - other - shared, shared - other


def _check_not_binary(stream, head: bytes, size: int):
    """Refuse what is not CSV text, saying what it is when that is easy to tell."""
    if head.startswith(_OLE2):
        raise _ole2_error(stream)
    if head.startswith(b"%PDF"):
        raise _wrong(WHAT_PDF)
    for magic, kind in _IMAGES:
        if head.startswith(magic):
            raise _wrong(WHAT_IMAGE % {"kind": kind})
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        raise _wrong(WHAT_IMAGE % {"kind": "WebP"})
    if head.startswith(_ARCHIVES):
        raise _wrong(WHAT_ARCHIVE)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError(UTF16)
    if b"\x00" in head:
        raise ImportFileError(BINARY)
    text = head.removeprefix(_BOM).lstrip().lower()
    if not text and size <= len(head):
        raise ImportFileError(EMPTY)
    if text.startswith((b"<!doctype html", b"<html")) or (
        text.startswith(b"<") and b"<table" in text
    ):
        raise ImportFileError(HTML)
    if text.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in text:
            raise ImportFileError(XML_2003)
        raise _wrong(WHAT_XML)


def _ole2_error(stream) -> ImportFileError:
    """An OLE2 compound file: an encrypted (password-protected) .xlsx keeps the workbook in a
    stream named EncryptedPackage; otherwise it is an old .xls (or .doc, .ppt). Stream names
    are UTF-16LE in 128-byte directory entries (whose name-length field follows the name), so
    the file is searched for them in chunks; its size is already within the limit."""
    names = {
        "EncryptedPackage": ImportFileError(ENCRYPTED),
        "WordDocument": _wrong(WHAT_DOC),
        "PowerPoint Document": _wrong(WHAT_PPT),
    }
    patterns = {name: name.encode("utf-16-le") for name in names}
    found = set()
    stream.seek(0)
    offset, tail = 0, b""
    while chunk := stream.read(_CHUNK):
        buffer = tail + chunk
        base = offset - len(tail)
        for name, pattern in patterns.items():
            start = buffer.find(pattern)
            while start != -1:
                length_at = start + 64
                if (base + start) % 128 == 0 and buffer[length_at : length_at + 2] == (
                    (len(name) + 1) * 2
                ).to_bytes(2, "little"):
                    found.add(name)
                start = buffer.find(pattern, start + 1)
        if "EncryptedPackage" in found:
            break
        offset += len(chunk)
        tail = buffer[-128:]
    stream.seek(0)
    for name, error in names.items():
        if name in found:
            return error
    return ImportFileError(OLD_XLS)


# -- CSV -------------------------------------------------------------------------------------


def _open_csv(stream, head: bytes, chosen: str | None) -> Table:
    has_bom = head.startswith(_BOM)
    if chosen in ("utf-8", None) and has_bom:
        encoding = "utf-8-sig"
    elif chosen:
        encoding = chosen
    else:
        encoding = _detect_encoding(stream)
    first_line = _first_line(stream, encoding)
    sep_line = _SEP_LINE.fullmatch(first_line)
    delimiter = sep_line.group(1) if sep_line else _delimiter(first_line)
    reader = _CsvReader(stream, encoding, delimiter, skip_first_line=bool(sep_line))
    headers = _read_headers(reader)
    return Table(
        format="csv",
        encoding=encoding,
        headers=headers,
        total_rows=None,
        delimiter=delimiter,
        _reader=reader,
    )


def _detect_encoding(stream) -> str:
    """UTF-8 if the first 64 KB of text from the first non-ASCII byte on decode as strict
    UTF-8, else GB18030. An all-ASCII file is UTF-8. Reads the file in chunks until that byte
    (never the whole file at once)."""
    stream.seek(0)
    offset = 0
    while chunk := stream.read(_CHUNK):
        match = _NON_ASCII.search(chunk)
        if match:
            stream.seek(offset + match.start())
            sample = stream.read(_SAMPLE)
            at_end = len(sample) < _SAMPLE or not stream.read(1)
            stream.seek(0)
            try:
                # final=False: a character cut by the end of the sample is not an error.
                codecs.getincrementaldecoder("utf-8")().decode(sample, final=at_end)
            except UnicodeDecodeError:
                return "gb18030"
            return "utf-8"
        offset += len(chunk)
    stream.seek(0)
    return "utf-8"


def _text(stream, encoding: str) -> io.TextIOWrapper:
    """A text stream over ``stream`` from its start; closing it leaves ``stream`` open. Bytes
    not valid in the encoding become lone surrogates, found and reported per row."""
    stream.seek(0)
    raw = _Unclosing(stream)
    return io.TextIOWrapper(
        io.BufferedReader(raw, 64 * 1024), encoding=encoding, errors="surrogateescape", newline=""
    )


class _Unclosing(io.RawIOBase):
    """A raw reader over any object with read(); closing it does not close the object."""

    def __init__(self, stream):
        self._stream = stream

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _first_line(stream, encoding: str) -> str:
    with _text(stream, encoding) as text:
        return text.readline(_SAMPLE).lstrip("\ufeff")


def _delimiter(line: str) -> str:
    """The delimiter used most in the header line outside quotes: comma, tab or semicolon
    (comma when none or a tie). csv.Sniffer is not used: on one line it prefers a comma to a
    semicolon whenever both appear, e.g. in "Name;City;Address, street"."""
    counts = dict.fromkeys(",\t;", 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: counts[d])  # first of equals wins: "," then tab then ";"
    return best if counts[best] else ","


# Given to the csv reader after the last line: read as a record of its own, unless a quoted
# cell was still open at the end of the file (then it ends up inside that cell).
_END = "\ue000end of file\ue000"


class _CheckedLines:
    """The lines of a text stream, then _END; notes whether a line held bytes the decoder could
    not read."""

    def __init__(self, text):
        self._text = text
        self.bad = False
        self.nul = False  # a NUL byte: binary data (PostgreSQL text cannot hold it)
        self.ended = False

    def __iter__(self):
        return self

    def __next__(self):
        line = next(self._text, None)
        if line is None:
            if self.ended:
                raise StopIteration
            self.ended = True
            return _END
        if _ESCAPED.search(line):
            self.bad = True
        if "\x00" in line:
            self.nul = True
        return line


class _CsvReader:
    def __init__(self, stream, encoding: str, delimiter: str, *, skip_first_line: bool):
        self.stream = stream
        self.encoding = encoding
        self.delimiter = delimiter
        self.skip_first_line = skip_first_line

    def records(self) -> Iterator[tuple[int, list]]:
        """(row number, normalised values) of every record from row 1 (the header) on, empty
        ones included (they are rows in a spreadsheet too)."""
        text = _text(self.stream, self.encoding)
        lines = _CheckedLines(text)
        number = 0
        try:
            if self.skip_first_line:
                next(lines, None)
            for record in csv.reader(lines, delimiter=self.delimiter):
                if lines.ended:
                    if record == [_END]:
                        break
                    raise ImportFileError(UNCLOSED_QUOTE % {"row": number + 1})
                number += 1
                if lines.bad:
                    raise self._bad_bytes(number, record)
                if lines.nul:
                    column = next((i for i, value in enumerate(record) if "\x00" in value), None)
                    letter = "?" if column is None else column_letter(column)
                    raise ImportFileError(NUL_BYTE % {"row": number, "column": letter})
                yield number, [normalise_text(unneutralise(value)) for value in record]
        except csv.Error as exc:
            raise ImportFileError(
                CSV_BROKEN
                % {
                    "row": number + 1,
                    "error": display_value(exc, 80),
                    "limit": csv.field_size_limit(),
                }
            ) from exc
        finally:
            text.close()

    def _bad_bytes(self, number: int, record: list[str]) -> ImportFileError:
        column = next(
            (column_letter(i) for i, value in enumerate(record) if _ESCAPED.search(value)), "?"
        )
        name = {"gb18030": "GBK/GB18030"}.get(self.encoding, "UTF-8")
        return ImportFileError(BAD_BYTES % {"row": number, "column": column, "encoding": name})


# -- XLSX ------------------------------------------------------------------------------------


def check_shared_strings(stream) -> None:
    """Refuse an .xlsx workbook (a binary file object, left at its start) whose shared strings
    part holds more than IMPORT_MAX_SHARED_STRINGS strings, before openpyxl reads them all into
    one list. Counts the <si> elements of the part in one streamed pass (~0.1 s for 24 MB),
    reading no more than the part's declared size, which check_workbook has held to
    IMPORT_MAX_SHARED_STRINGS_BYTES. Call check_workbook first."""
    limit = policy("IMPORT_MAX_SHARED_STRINGS")
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            manifest = Manifest.from_tree(fromstring(archive.read("[Content_Types].xml")))
            part = manifest.find(_SHARED_STRINGS_TYPE)
            if part is None or part.PartName.lstrip("/") not in archive.namelist():
                return  # none, or openpyxl reports the missing part
            count = 0
            pending = b""
            with archive.open(part.PartName.lstrip("/")) as xml:
                while chunk := xml.read(_CHUNK):
                    text = pending + chunk
                    # A tag cut by the end of the chunk is counted with the next one.
                    keep = max(len(text) - 64, 0)
                    count += sum(1 for match in _SI_TAG.finditer(text) if match.start() < keep)
                    pending = text[keep:]
                    if count > limit:
                        raise ImportFileError(TOO_MANY_SHARED_STRINGS % {"limit": f"{limit:,}"})
                count += len(_SI_TAG.findall(pending))
            if count > limit:
                raise ImportFileError(TOO_MANY_SHARED_STRINGS % {"limit": f"{limit:,}"})
    finally:
        stream.seek(0)


def _open_xlsx(stream, sheet: str | None, owned: list) -> Table:
    try:
        check_shared_strings(stream)
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged part: a bad CRC, a size that lies, bad deflate data
        raise ImportFileError(XLSX_BROKEN % {"error": display_value(exc, 80)}) from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style", unsupported extensions...
            workbook = load_workbook(stream, read_only=True, data_only=False)
    except Exception as exc:
        raise ImportFileError(XLSX_BROKEN % {"error": display_value(exc, 80)}) from exc
    owned.append(workbook)
    worksheets = workbook.worksheets
    if not worksheets:
        raise ImportFileError(NO_SHEET)
    if sheet is not None:
        matching = [ws for ws in worksheets if ws.title == sheet]
        if not matching:
            names = ", ".join(ws.title for ws in worksheets)
            raise ImportFileError(UNKNOWN_SHEET % {"sheet": display_value(sheet), "sheets": names})
        worksheet = matching[0]
    else:
        active = workbook.active
        worksheet = active if active in worksheets else worksheets[0]
    # Some writers put a wrong <dimension> in the sheet, or none: read every row there is.
    worksheet.reset_dimensions()
    try:
        merged, row_elements = scan_sheet(workbook, worksheet)
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged part: a bad CRC, a size that lies, bad deflate data
        raise ImportFileError(XLSX_BROKEN % {"error": display_value(exc, 80)}) from exc
    _check_merged_cells(merged)
    reader = _XlsxReader(worksheet)
    headers = _read_headers(reader)
    return Table(
        format="xlsx",
        encoding=None,
        headers=headers,
        # An upper bound: rows holding only formatting are counted too.
        total_rows=max(row_elements - 1, 0),
        sheet_name=worksheet.title,
        _reader=reader,
    )


def scan_sheet(workbook, worksheet) -> tuple[list[str], int]:
    """(the merged ranges, the number of <row> elements) of a read-only worksheet: read-only
    mode exposes neither. <mergeCells> comes after <sheetData> in the sheet XML, which may be
    hundreds of MB, so the decompressed XML is searched in chunks rather than parsed (0.2 s
    for 100,000 rows of 12 columns, where ElementTree.iterparse takes 8 s). On the way, a
    cell past column IMPORT_MAX_COLUMNS (by its reference, or by counting the cells of its row)
    or a row numbered past Excel's last row is refused: openpyxl would make every row as wide
    as its last cell, and make an empty row for every number skipped. No more than the sheet's
    declared size is ever read (zipfile stops there), and never more than the unpacked
    limit."""
    refs: list[str] = []
    rows = 0
    max_columns = policy("IMPORT_MAX_COLUMNS")
    max_read = policy("IMPORT_MAX_UNPACKED_BYTES")
    cells = 0  # cells of the current row so far
    row_number = 0
    read = 0
    tail = b""  # for merged cells
    pending = b""  # for rows and cells: the end of the previous chunk, not yet searched
    # openpyxl 3.1 keeps the archive and the sheet's part name here (tested).
    with workbook._archive.open(worksheet._worksheet_path) as xml:
        while True:
            chunk = xml.read(_CHUNK)
            read += len(chunk)
            if read > max_read:
                raise ImportFileError(
                    UNPACKED_TOO_BIG
                    % {"size": f"> {human_size(max_read)}", "limit": human_size(max_read)}
                )
            # A tag cut by the end of the chunk waits for the next one.
            text = pending + chunk
            searched = len(text)
            last = text.rfind(b"<")
            if chunk and last >= 0 and text.find(b">", last) < 0:
                searched = last
            pending = text[searched:]
            if len(pending) > _MB:
                raise ImportFileError(XLSX_BROKEN % {"error": "a tag longer than 1 MB"})
            for match in _SHEET_TAG.finditer(text, 0, searched):
                tag, letters, digits = match.groups()
                if tag == b"row":
                    rows += 1
                    cells = 0
                    row_number = int(digits) if digits else row_number + 1
                    if row_number > EXCEL_MAX_ROWS:
                        raise ImportFileError(
                            ROW_PAST_EXCEL % {"row": row_number, "limit": f"{EXCEL_MAX_ROWS:,}"}
                        )
                    continue
                cells += 1
                column = cells
                if letters:
                    try:
                        column = max(cells, column_index_from_string(letters.decode().upper()))
                    except ValueError:
                        column = cells  # openpyxl reports it when it reads the row
                    cells = column
                if column > max_columns:
                    raise ImportFileError(
                        TOO_MANY_COLUMNS
                        % {
                            "cell": f"{column_letter(column - 1)}{row_number}",
                            "column": column,
                            "limit": max_columns,
                            "last": column_letter(max_columns - 1),
                        }
                    )
            if not chunk:
                break
            buffer = tail + chunk
            if b"mergeCell" in buffer:
                for match in _MERGE_CELL.finditer(buffer):
                    ref = match.group(1).decode("ascii").replace("$", "").upper()
                    if ref not in refs:
                        refs.append(ref)
            tail = buffer[-512:]
    return refs, rows


def _check_merged_cells(refs: list[str]):
    """Merged cells read as one value and empty cells: refuse them, header ones first."""
    spans = []
    for ref in refs:
        if ":" not in ref:
            continue
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if (min_col, min_row) != (max_col, max_row):
            spans.append((min_row, min_col, ref))
    if not spans:
        return
    spans.sort()
    row, _col, ref = spans[0]
    raise ImportFileError((MERGED_HEADER if row == 1 else MERGED_CELLS) % {"range": ref})


class _XlsxReader:
    def __init__(self, worksheet):
        self.worksheet = worksheet

    def records(self) -> Iterator[tuple[int, list]]:
        """(row number, values) of every row from row 1 (the header) on."""
        number = 0
        rows = self.worksheet.iter_rows(min_row=1)
        try:
            for number, row in enumerate(rows, start=1):
                yield number, [_xlsx_value(cell) for cell in row]
        except ImportFileError:
            raise
        except Exception as exc:
            raise ImportFileError(
                XLSX_BROKEN_AT % {"row": max(number, 1), "error": display_value(exc, 80)}
            ) from exc
        finally:
            close = getattr(rows, "close", None)
            if close:
                close()


_MIDNIGHT = datetime.time()


def _xlsx_value(cell):
    value = cell.value
    if value is None:
        return ""
    kind = cell.data_type
    if kind == "f":
        formula = getattr(value, "text", None) or str(value)
        raise ImportFileError(
            FORMULA % {"cell": cell.coordinate, "formula": display_value(formula, 60)}
        )
    if isinstance(value, str):
        if kind == "e":
            raise ImportFileError(ERROR_CELL % {"cell": cell.coordinate, "error": value})
        return normalise_text(unneutralise(value))
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == _MIDNIGHT else value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | datetime.date):
        return value
    if isinstance(value, datetime.time):
        return value.isoformat()
    return normalise_text(value)


# -- Headers ---------------------------------------------------------------------------------


def _read_headers(reader) -> list[str]:
    """Row 1, normalised, trailing empty cells dropped; refuses an empty file, an empty first
    row, an empty header between others, and a header written twice (case ignored)."""
    records = reader.records()
    try:
        first = next(records, None)
        if first is None:
            raise ImportFileError(EMPTY)
        _number, values = first
        headers = [
            v.isoformat() if isinstance(v, datetime.date) else normalise_text(v) for v in values
        ]
        while headers and not headers[-1]:
            headers.pop()
        if not headers:
            if any(any(v != "" for v in rest) for _n, rest in records):
                raise ImportFileError(NO_HEADER)
            raise ImportFileError(EMPTY)
    finally:
        records.close()
    for index, header in enumerate(headers):
        if not header:
            raise ImportFileError(EMPTY_HEADER % {"cell": f"{column_letter(index)}1"})
    positions: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        positions.setdefault(header.casefold(), []).append(index)
    for indexes in positions.values():
        if len(indexes) > 1:
            raise ImportFileError(
                DUPLICATE_HEADER
                % {
                    "header": display_value(headers[indexes[0]]),
                    "columns": ", ".join(column_letter(i) for i in indexes),
                }
            )
    return headers
