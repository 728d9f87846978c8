"""Spreadsheets built in memory for the import tests: a header row and data rows as CSV bytes
(in any encoding) or XLSX bytes (typed cells kept)."""

import io

import openpyxl


def csv_bytes(rows, *, headers, encoding="utf-8"):
    """Comma-separated, CRLF line ends, values written with str() (no quoting: test values
    hold no commas)."""
    lines = [",".join(headers)] + [",".join(str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, *, headers):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
