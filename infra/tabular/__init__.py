"""The tabular import engine: CSV and XLSX files read a row at a time, and the loop, reports and
bulk writes every import shares. The imports themselves (their columns, cleaning and writers)
live in the app that owns the data: clients/imports/ (client lists), certificates/imports/
(existing certificates).

- reading.py: :func:`open_table` tells the format from the bytes and opens the file as a
  :class:`Table` (table.py); csvfile.py reads CSV, workbook.py checks an .xlsx workbook's
  limits from its ZIP directory (:func:`check_workbook`, also in the web request) and xlsx.py
  reads it. errors.py: :class:`ImportFileError` and its messages.
- values.py: text, dates and whole numbers as people write them; columns.py: headers mapped
  to fields (:func:`check_headers`).
- report.py: :class:`RowError` and :class:`ImportReport`; pipeline.py: :func:`stream_chunks`,
  the read-clean-write loop (optionally with the reading in a thread of its own).
- pgbulk.py and pgcopy.py: bulk lookups, updates and COPY on PostgreSQL.
- export.py: :func:`write_table`, CSV or XLSX out.
"""

from .columns import Column, ColumnMap, check_headers, header_index, header_key, map_headers
from .errors import ImportFileError
from .export import ENCODINGS, FORMATS, write_table
from .pipeline import CHUNK, stream_chunks
from .reading import open_table
from .report import (
    MSG_EXTRA_VALUES,
    MSG_REQUIRED,
    MSG_TOO_LONG,
    ImportReport,
    Rollback,
    RowError,
)
from .table import Table
from .values import (
    column_letter,
    display_value,
    human_size,
    normalise_text,
    parse_date,
    parse_int,
)
from .workbook import check_workbook, unpacked_size

__all__ = [
    "CHUNK",
    "ENCODINGS",
    "FORMATS",
    "MSG_EXTRA_VALUES",
    "MSG_REQUIRED",
    "MSG_TOO_LONG",
    "Column",
    "ColumnMap",
    "ImportFileError",
    "ImportReport",
    "Rollback",
    "RowError",
    "Table",
    "check_headers",
    "check_workbook",
    "column_letter",
    "display_value",
    "header_index",
    "header_key",
    "human_size",
    "map_headers",
    "normalise_text",
    "open_table",
    "parse_date",
    "parse_int",
    "stream_chunks",
    "unpacked_size",
    "write_table",
]
