"""The limits on an .xlsx workbook, checked from its ZIP directory before openpyxl reads it.

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

:func:`check_workbook` also runs in the web request (the admin's upload form): it reads only the
ZIP directory and the small parts that say which part is which.
"""

import io
import re
import zipfile

from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents
from openpyxl.reader.excel import _find_workbook_part
from openpyxl.xml.functions import fromstring

from core.policy import policy

from .errors import (
    NUMBERS,
    ODS,
    PART_TOO_BIG,
    RATIO_TOO_HIGH,
    SHARED_STRINGS_TOO_BIG,
    TOO_MANY_PARTS,
    TOO_MANY_SHARED_STRINGS,
    UNPACKED_TOO_BIG,
    WHAT_DOCX,
    WHAT_PPTX,
    WHAT_ZIP,
    XLSB,
    XLSX_BROKEN,
    ZIP_DAMAGED,
    ImportFileError,
    wrong_format,
)
from .values import display_value, human_size

_CHUNK = 1024 * 1024
_MB = 1024 * 1024
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


def check_zip(stream):
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
        raise wrong_format(WHAT_DOCX)
    if "ppt/presentation.xml" in names:
        raise wrong_format(WHAT_PPTX)
    raise wrong_format(WHAT_ZIP)


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
        check_zip(stream)


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
