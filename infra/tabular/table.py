"""A file opened for import: its header row, then its data rows one at a time.

:func:`infra.tabular.reading.open_table` makes a :class:`Table` from the bytes; the CSV and XLSX
readers (csvfile.py, xlsx.py) give it its records, and :func:`read_headers` checks row 1 for
both.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from .errors import DUPLICATE_HEADER, EMPTY, EMPTY_HEADER, NO_HEADER, ImportFileError
from .values import column_letter, display_value, normalise_text


class RecordReader(Protocol):
    def records(self) -> Iterator[tuple[int, list]]:
        """(row number, values) of every row from row 1 (the header) on."""


@dataclass(eq=False)
class Table:
    format: str  # "csv" or "xlsx"
    encoding: str | None  # csv only: "utf-8", "utf-8-sig" or "gb18030"
    headers: list[str]  # header row, each normalised with values.normalise_text
    total_rows: int | None  # xlsx: data rows (an upper bound: empty rows count); csv: None
    delimiter: str | None = None  # csv only
    sheet_name: str | None = None  # xlsx only: the worksheet read
    filename: str | None = None
    size: int | None = None  # bytes
    _reader: RecordReader | None = field(default=None, repr=False)
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


def read_headers(reader) -> list[str]:
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
