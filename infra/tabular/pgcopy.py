"""COPY of new rows on PostgreSQL: the text format's escaping, and one write of ready lines.

The client import prepares each new client's lines in its reading thread (clients/imports/
rows.py); the writer then only puts the ids in front and hands them to :func:`copy_text`.
"""

import datetime

from django.db import connection

# COPY's text format: fields separated by tabs, rows by newlines, \N for NULL, booleans t/f, and
# backslash, tab, newline and carriage return escaped with a backslash. Cleaned text has no
# NUL (csvfile.py refuses the file) and no tab or line break (normalise_text), but is escaped
# all the same.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_field(value) -> str:
    """``value`` as a field of COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return copy_escape(value)
    if isinstance(value, (int, datetime.date)):  # a date YYYY-MM-DD, a datetime with its zone
        return str(value)
    # A new kind of column (JSON, UUID, list...) needs its own COPY text form: not a repr.
    raise TypeError(f"no COPY text form for {type(value).__name__}")


def copy_escape(text: str) -> str:
    """``text`` with what COPY's text format escapes escaped."""
    # Most text has nothing to escape: two C scans instead of a translation.
    if "\\" in text or not text.isprintable():
        return text.translate(COPY_ESCAPES)
    return text


def copy_text(cursor, model, fields, text: str) -> None:
    """``COPY table (columns of fields) FROM STDIN`` of ready lines (COPY's text format), in
    one write: the raw cursor of Django's connection, so inside the import's transaction."""
    meta = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(name).column) for name in fields)
    with cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy:
        copy.write(text)
