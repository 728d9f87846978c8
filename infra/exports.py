"""Any list as a file: CSV (UTF-8 with a byte order mark, so Excel reads Chinese) or XLSX.

A list view describes its columns once (a header and a function of the row) and hands its
rows over; ``export_response`` writes them. Text cells go through infra.csvsafe in both formats,
so a client name such as ``=HYPERLINK(...)`` is never run as a formula. Rows are written as
they are read (write-only workbook, streamed CSV), so an export of many rows does not hold them
all in memory; ``MAX_ROWS`` caps one file.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

from .csvsafe import neutralise

FORMATS = ("csv", "xlsx")
MAX_ROWS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: Any  # str or a lazy translation
    value: Callable[[Any], Any]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, (datetime.date, int, float, Decimal, bool)):
        return value
    return neutralise(str(value))


def _rows(columns: list[Column], rows: Iterable) -> Iterable[list]:
    for index, row in enumerate(rows):
        if index >= MAX_ROWS:
            break
        yield [_cell(column.value(row)) for column in columns]


class _Echo:
    def write(self, value):
        return value


def export_response(fmt: str, *, filename: str, columns: list[Column], rows: Iterable):
    """The download of ``rows`` as ``fmt`` ("csv" or "xlsx"), named ``filename``.<fmt>."""
    headers = [str(column.header) for column in columns]
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff" + writer.writerow(headers)
            for values in _rows(columns, rows):
                yield writer.writerow(
                    [v.isoformat() if isinstance(v, datetime.date) else v for v in values]
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(headers)
        for values in _rows(columns, rows):
            sheet.append(values)
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
