"""XLSX workbooks: the active worksheet (or the one named), read with openpyxl in read-only
mode, a row at a time, once workbook.py has checked the workbook's limits.

Before the rows are read, the worksheet is scanned (:func:`scan_sheet`): a cell past column
IMPORT_MAX_COLUMNS or a row past Excel's last (1,048,576) is refused, as openpyxl would fill
every row up to its last cell and every missing row up to the highest number. The sheet's
declared ``<dimension>`` is not trusted (nor used). Each message names the setting.

A formula or an error cell, and merged cells, are refused (their value is not what the sheet
shows). Text cells that a CSV export neutralised against formula injection are read without
that quote (infra/csvsafe.py), as in CSV.
"""

import datetime
import re
import warnings
from collections.abc import Iterator

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.utils.cell import range_boundaries

from core.policy import policy
from infra.csvsafe import unneutralise

from .errors import (
    ERROR_CELL,
    FORMULA,
    MERGED_CELLS,
    MERGED_HEADER,
    NO_SHEET,
    ROW_PAST_EXCEL,
    TOO_MANY_COLUMNS,
    UNKNOWN_SHEET,
    UNPACKED_TOO_BIG,
    XLSX_BROKEN,
    XLSX_BROKEN_AT,
    ImportFileError,
)
from .table import Table, read_headers
from .values import column_letter, display_value, human_size, normalise_text
from .workbook import check_shared_strings

_CHUNK = 1024 * 1024
_MB = 1024 * 1024
_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Za-z0-9:$]+)"')
_MB = 1024 * 1024
# A row or cell start tag (any namespace prefix) and its r attribute when it has one:
# <row r="12" ...>, <x:c r="AB12" t="s">, <c t="s"> (a cell without r is the next column).
_SHEET_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])"
    rb"""(?:[^<>]*?\sr\s*=\s*["']([A-Za-z]*)(\d+)["'])?"""
)
EXCEL_MAX_ROWS = 1_048_576


def open_xlsx(stream, sheet: str | None, owned: list) -> Table:
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
    headers = read_headers(reader)
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
