"""Text, dates and whole numbers as people write them in spreadsheets, and values as a message
quotes them.

Dates (:func:`parse_date`): 2024-03-05, 2024/3/5, 2024.3.5, 20240305, 2024年3月5日 (also with
full-width digits, and with a time after it, which is ignored); the year always comes first and
has four digits. In an XLSX file a cell formatted as a date is taken as that date.

Whole numbers (:func:`parse_int`): 1234, 1,234, +12, -12, 1234.0; full-width digits too.
"""

import datetime
import math
import re
import unicodedata

from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

DATE_FORMATS_HELP = _(
    "Dates are read as 2024-03-05, 2024/3/5, 2024.3.5, 20240305 or 2024年3月5日: the year first, "
    "with four digits (full-width digits are fine). In an XLSX file a cell formatted as a date "
    "is read as that date."
)


def normalise_text(value) -> str:
    """``value`` as text: None is ""; full-width letters, digits and punctuation made half-width
    (NFKC), leading and trailing whitespace removed, and every run of whitespace inside (spaces,
    the ideographic space U+3000, no-break spaces, tabs, line breaks) made one space. A
    zero-width space or a stray byte order mark (pasted from web pages and Word) is dropped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if "\u200b" in text or "\ufeff" in text:
            text = text.replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def display_value(value, limit: int = 40) -> str:
    """``value`` as quoted in a message: normalised, and cut to ``limit`` characters."""
    text = value.isoformat() if isinstance(value, datetime.date) else normalise_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- Dates -----------------------------------------------------------------------------------

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_PATTERNS = (
    re.compile(r"([1-9]\d{3})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME),  # 2024-03-05, 2024/3/5
    re.compile(r"([1-9]\d{3})()(\d{2})(\d{2})"),  # 20240305
    re.compile(r"([1-9]\d{3}) ?(年) ?(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]?"),  # 2024年3月5日
)
_YEAR_LAST = re.compile(r"\d{1,2}([-/.])\d{1,2}\1\d{4}" + _TIME)
_SHORT_YEAR = re.compile(r"\d{2}([-/.])\d{1,2}\1\d{1,2}|\d{2} ?年 ?\d{1,2} ?月 ?\d{1,2} ?[日号]?")


def parse_date(value) -> datetime.date:
    """A date written as 2024-03-05, 2024/3/5, 2024.3.5, 20240305 or 2024年3月5日 (full-width
    digits too; a time after the date is ignored); ``date`` and ``datetime`` values (XLSX date
    cells) pass through as dates. Raises ValueError with a message a person understands."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = normalise_text(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, _sep, month, day = match.groups()
            try:
                return datetime.date(int(year), int(month), int(day))
            except ValueError:
                message = _('not a date: "%(value)s" (there is no such day)')
                raise ValueError(message % {"value": display_value(text)}) from None
    if _YEAR_LAST.fullmatch(text):
        message = _(
            'not a date: "%(value)s" (write the year first, e.g. 2024-03-05: with the year '
            "last, day and month can be read either way)"
        )
    elif _SHORT_YEAR.fullmatch(text):
        message = _('not a date: "%(value)s" (write the year with four digits, e.g. 2024-03-05)')
    elif isinstance(value, int | float) and not isinstance(value, bool):
        message = _(
            'not a date: "%(value)s" (the cell holds a number: format the column as a date in '
            "Excel, or write e.g. 2024-03-05)"
        )
    else:
        message = _(
            'not a date: "%(value)s" (use e.g. 2024-03-05, 2024/3/5, 20240305 or 2024年3月5日)'
        )
    raise ValueError(message % {"value": display_value(text)})


# -- Whole numbers ---------------------------------------------------------------------------

_MINUS = "\u2212"  # the minus sign, as some systems write negative numbers
_INT = re.compile(r"([+\-" + _MINUS + r"]?)(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.0+)?")


def parse_int(value) -> int:
    """A whole number: 1234, "1234", "1,234", full-width digits, "+5", "-5", "1234.0", or an
    integral float from an XLSX cell. The sign is kept: whether a negative number is allowed is
    for the caller. Raises ValueError with a message a person understands."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    text = normalise_text(value)
    match = _INT.fullmatch(text) if not isinstance(value, bool | float) else None
    if match is None:
        raise ValueError(
            _('not a whole number: "%(value)s" (write digits only, e.g. 1234 or 1,234)')
            % {"value": display_value(text)}
        )
    sign, digits = match.groups()
    number = int(digits.replace(",", "").replace(" ", ""))
    return -number if sign in ("-", _MINUS) else number


# -- Sizes and cells, as messages name them ----------------------------------------------------

_MB = 1024 * 1024


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 -> "A", 27 -> "AB"."""
    return get_column_letter(index + 1)


def human_size(size: int) -> str:
    """73.2 MB, 50 MB, 12 KB, 100 bytes (1 MB = 1024 * 1024 bytes, as IMPORT_MAX_BYTES)."""
    for unit, scale in (("MB", _MB), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"
