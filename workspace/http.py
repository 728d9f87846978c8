"""Reading what a request sends, for every workspace view: a whole number (an id, a count), a
date, a ``next`` address. Anything else than what is expected is None (the view then ignores
it or says so), never a server error: "²" is a digit to ``str.isdigit`` but not to ``int``, a
number beyond the database's integer range overflows SQLite, year 1 or 9999 overflows date
arithmetic."""

import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core.dates import EARLIEST_DATE, LATEST_DATE

# The largest value of a 64-bit signed integer column (a primary key on PostgreSQL/SQLite).
MAX_DB_INT = 2**63 - 1


def parse_int(value, *, minimum: int = 1, maximum: int = MAX_DB_INT) -> int | None:
    """``value`` as a whole number written in ASCII digits (an optional leading "-" when
    ``minimum`` allows negatives) within ``minimum``..``maximum``; None for anything else."""
    text = str(value or "").strip()
    digits = text[1:] if text.startswith("-") else text
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def query_int(request, name: str, **bounds) -> int | None:
    """The GET parameter ``name`` as a whole number (``parse_int``), else None."""
    return parse_int(request.GET.get(name), **bounds)


def parse_date(value) -> datetime.date | None:
    """``value`` as an ISO date ("2026-12-07") within the plausible range of core.dates
    (1900..2100), else None."""
    try:
        day = datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return day if EARLIEST_DATE <= day <= LATEST_DATE else None


def query_date(request, name: str) -> datetime.date | None:
    """The GET parameter ``name`` as a plausible date (``parse_date``), else None."""
    return parse_date(request.GET.get(name))


def safe_next(request, default=None):
    """The ``next`` address posted or in the query string when it is on this site (never an
    open redirect), else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# Control characters (NUL and the rest of C0 but tab and newline): PostgreSQL refuses a NUL in
# a text value, and none of them is something a person searches for.
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))


def query_text(request, name: str, *, max_length: int = 200) -> str:
    """The text of query parameter ``name``, without control characters, at most
    ``max_length`` characters; "" when absent."""
    return (request.GET.get(name) or "").translate(_CONTROL)[:max_length]


def action_done(request, label, target: str, notices=()):
    """The answer to an action taken: "Done: <label>." and the ``notices`` ((level, text):
    "warning" or info) as messages, then to ``target``; htmx is told to load it (a 204 with
    HX-Redirect) rather than swap a redirect's page into the form."""
    messages.success(request, _("Done: %(action)s.") % {"action": label})
    for level, text in notices:
        (messages.warning if level == "warning" else messages.info)(request, text)
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
