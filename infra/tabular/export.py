"""Writing a table for people to open: CSV in the encoding asked for, or XLSX, streamed.

The exports (clients/imports/client_export.py, certificates/imports/certificate_export.py) and
django-import-export's XLSX (infra/importexport.py) write with :func:`write_table`. CSV text
cells that a spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) are
written with a ' in front, which the import takes off (infra/csvsafe.py); XLSX cells are typed
text.
"""

import csv
import datetime
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from infra.csvsafe import neutralise

FORMATS = ("csv", "xlsx")
ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def write_table(out, *, headers, rows, format: str, encoding: str, sheet_name: str) -> int:
    """Write ``headers`` and the streamed ``rows`` to ``out`` (a path or a binary file object)
    as CSV in ``encoding`` or XLSX (write-only); returns the rows written."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if isinstance(out, (str, Path)):
        with open(out, "wb") as file:
            return write_table(
                file,
                headers=headers,
                rows=rows,
                format=format,
                encoding=encoding,
                sheet_name=sheet_name,
            )
    if format == "csv":
        return _write_csv(out, headers, rows, encoding)
    return _write_xlsx(out, headers, rows, sheet_name)


def _write_csv(out, headers, rows, encoding) -> int:
    text = io.TextIOWrapper(out, encoding=encoding, newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow([neutralise(h) for h in headers])
        count = 0
        for row in rows:
            # A text cell a spreadsheet would run as a formula gets a ' in front (CSV
            # injection); the import takes it off again (infra/csvsafe.py).
            writer.writerow([neutralise(_cell(v)) for v in row])
            count += 1
        text.flush()
        return count
    finally:
        text.detach()  # leave ``out`` open for the caller


def _write_xlsx(out, headers, rows, sheet_name) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    sheet.append(headers)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str) and value.startswith("="):
                # Text, never a formula (a name or scope could start with "=").
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    workbook.save(out)
    return count
