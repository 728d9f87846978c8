"""CSV files: UTF-8, UTF-8 with a byte order mark, or GBK/GB18030, chosen by the user or
detected; comma, tab or semicolon delimited (the one used most in the header line; an Excel
``sep=;`` first line is honoured). Read a record at a time, never the whole file at once.

Text cells that a CSV export neutralised against formula injection (``'=…``, ``'+86…``) are read
without that quote (infra/csvsafe.py).
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator

from infra.csvsafe import unneutralise

from .errors import (
    BAD_BYTES,
    CSV_BROKEN,
    NUL_BYTE,
    UNCLOSED_QUOTE,
    UNKNOWN_ENCODING,
    ImportFileError,
)
from .table import Table, read_headers
from .values import column_letter, display_value, normalise_text

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
_SAMPLE = 64 * 1024  # bytes of text looked at to tell the encoding
_CHUNK = 1024 * 1024
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes the decoder could not read (surrogateescape)
_SEP_LINE = re.compile(r"\s*sep=([,;\t|])\s*")


def chosen_encoding(encoding: str | None) -> str | None:
    """The codec of the encoding a user chose (any case, "_" for "-"); None: detect it."""
    if not encoding:
        return None
    codec = _CHOSEN_ENCODINGS.get(encoding.strip().lower().replace("_", "-"))
    if codec is None:
        raise ImportFileError(UNKNOWN_ENCODING % {"encoding": display_value(encoding)})
    return codec


def open_csv(stream, head: bytes, chosen: str | None) -> Table:
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
    headers = read_headers(reader)
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
