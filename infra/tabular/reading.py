"""Open an uploaded CSV or XLSX file for import, whatever people send.

:func:`open_table` tells the format from the bytes (never the file name), checks the size,
reads the header row and returns a :class:`~infra.tabular.table.Table` whose ``rows()`` streams
the data rows: memory stays bounded whatever the file size. Anything that makes the file as a
whole unusable (empty, binary, the wrong format, password-protected, too large, bytes not valid
in the encoding, a formula, merged cells, missing or repeated headers) raises
:class:`ImportFileError` with a message a person understands; problems with single values
are the import's to report.

CSV: csvfile.py. XLSX: workbook.py checks the workbook's limits from its ZIP directory, then
xlsx.py reads it.
"""

import codecs
import io
import os
import tempfile
from pathlib import Path

from core.policy import policy

from .csvfile import chosen_encoding, open_csv
from .errors import (
    BINARY,
    CANNOT_OPEN,
    EMPTY,
    ENCRYPTED,
    HTML,
    OLD_XLS,
    TOO_BIG,
    TOO_BIG_STREAM,
    UTF16,
    WHAT_ARCHIVE,
    WHAT_DOC,
    WHAT_IMAGE,
    WHAT_PDF,
    WHAT_PPT,
    WHAT_XML,
    XML_2003,
    ImportFileError,
    wrong_format,
)
from .table import Table
from .values import human_size
from .workbook import check_zip
from .xlsx import open_xlsx

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
_CHUNK = 1024 * 1024
_MB = 1024 * 1024


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
    chosen = chosen_encoding(encoding)
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
        check_zip(stream)
        return open_xlsx(stream, sheet, owned)
    _check_not_binary(stream, head, size)
    return open_csv(stream, head, chosen)


def _check_not_binary(stream, head: bytes, size: int):
    """Refuse what is not CSV text, saying what it is when that is easy to tell."""
    if head.startswith(_OLE2):
        raise _ole2_error(stream)
    if head.startswith(b"%PDF"):
        raise wrong_format(WHAT_PDF)
    for magic, kind in _IMAGES:
        if head.startswith(magic):
            raise wrong_format(WHAT_IMAGE % {"kind": kind})
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        raise wrong_format(WHAT_IMAGE % {"kind": "WebP"})
    if head.startswith(_ARCHIVES):
        raise wrong_format(WHAT_ARCHIVE)
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
        raise wrong_format(WHAT_XML)


def _ole2_error(stream) -> ImportFileError:
    """An OLE2 compound file: an encrypted (password-protected) .xlsx keeps the workbook in a
    stream named EncryptedPackage; otherwise it is an old .xls (or .doc, .ppt). Stream names
    are UTF-16LE in 128-byte directory entries (whose name-length field follows the name), so
    the file is searched for them in chunks; its size is already within the limit."""
    names = {
        "EncryptedPackage": ImportFileError(ENCRYPTED),
        "WordDocument": wrong_format(WHAT_DOC),
        "PowerPoint Document": wrong_format(WHAT_PPT),
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
