"""The public verification pages and JSON API (no login).

Anyone may check a certificate by number or a company by name, in Chinese or English, on a
phone, without JavaScript. Only what ISO/IEC 17021-1 allows without consent is shown (the
selectors load nothing else): client name, city and country, standard and edition, scope,
certificate number, public status with its explanation, and dates.

- ``search``: /verify/?q=... (number or name; one result per certification, newest version).
- ``certificate``: /verify/<number>/ (stable: the QR code on every certificate version), with
  ``?on=YYYY-MM-DD`` answering "was it valid on that date?" from the recorded history.
- ``api_search`` / ``api_certificate``: the same as JSON under /api/certificates/.

Abuse: every view is rate-limited per client address (infra/ratelimit.py, one budget for
all, CERTBODY PUBLIC_RATE_LIMIT) with a 429 and Retry-After; overlong input is refused politely and
control characters (NUL crashes PostgreSQL's driver) never reach a query.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from functools import wraps
from types import SimpleNamespace
from urllib.parse import quote

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from clients.models import normalise_search
from core.countries import country_name as core_country_name
from infra import ratelimit

from . import public_status as ps
from . import selectors_public as selectors
from .history import decisions_for_history, validity_on

RATE_GROUP = "certificates.public"
MIN_QUERY_LENGTH = 2

MSG_TOO_LONG = _("Your search is too long: type at most %(max)d characters.")
MSG_TOO_SHORT = _("Type at least %(min)d characters of a company name or a certificate number.")
MSG_NO_QUERY = _("Type a company name or a certificate number.")
MSG_BAD_DATE = _("Enter the date as YYYY-MM-DD, for example 2025-06-01.")
MSG_FUTURE_DATE = _("That date is in the future: the history answers for dates up to today.")
MSG_NOT_FOUND = _(
    "No certificate has the number “%(number)s”. Check the number printed on the certificate."
)
MSG_NO_RESULTS = _("Nothing found for “%(q)s”.")
MSG_MORE = _("More than %(n)d results: refine your search.")
MSG_RATE_LIMITED = _(
    "Too many requests from your address. Please wait %(seconds)d seconds and try again."
)
MSG_ON_ACTIVE = _("On %(date)s certificate %(number)s was %(status)s.")
MSG_ON_SINCE = _("On %(date)s certificate %(number)s was %(status)s (from %(since)s).")
MSG_ON_NOT_ISSUED = _("On %(date)s certificate %(number)s had not yet been issued.")

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _render(request, template: str, context: dict, status: int = 200):
    """A public page: rendered by the Jinja2 engine of settings.TEMPLATES (infra/jinja2.py),
    as these pages serve every lookup."""
    return render(request, template, context, status=status, using="jinja2")


# -- rate limit ------------------------------------------------------------------------------
def _too_many(request, usage: ratelimit.Usage, *, json: bool):
    seconds = usage.time_left
    message = MSG_RATE_LIMITED % {"seconds": seconds}
    if json:
        response = JsonResponse({"error": str(message)}, status=429)
    else:
        response = _render(
            request, "public/429.html", {**_page_context(request), "message": message}, status=429
        )
    response["Retry-After"] = str(seconds)
    return response


def public_view(*, json=False):
    """GET/HEAD only, rate-limited per client address (all public views share one budget:
    CERTBODY PUBLIC_RATE_LIMIT, infra/ratelimit.py)."""

    def decorator(view):
        @require_safe
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            usage = ratelimit.hit(
                request, group=RATE_GROUP, rate=settings.CERTBODY["PUBLIC_RATE_LIMIT"]
            )
            if usage is not None and usage.limited:
                return _too_many(request, usage, json=json)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# -- input -----------------------------------------------------------------------------------
def _clean(text: str) -> str:
    """Control characters (NUL among them) out, surrounding whitespace trimmed."""
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text or "")
    return text.strip()


def _query_problem(q: str):
    """Why the search text cannot be searched (None: it can)."""
    max_length = settings.CERTBODY["PUBLIC_MAX_QUERY_LENGTH"]
    if len(q) > max_length:
        return MSG_TOO_LONG % {"max": max_length}
    if not q:
        return MSG_NO_QUERY
    if len(normalise_search(q)) < MIN_QUERY_LENGTH:
        return MSG_TOO_SHORT % {"min": MIN_QUERY_LENGTH}
    return None


def _parse_on(raw: str | None, *, today: datetime.date):
    """(date or None, problem or None) of the ?on= parameter."""
    if raw is None or raw.strip() == "":
        return None, None
    raw = raw.strip()
    try:
        if not _DATE.match(raw):
            raise ValueError(raw)
        on = datetime.date.fromisoformat(raw)
    except ValueError:
        return None, MSG_BAD_DATE
    if on > today:
        return None, MSG_FUTURE_DATE
    return on, None


# -- what the public sees --------------------------------------------------------------------
def country_name(code: str) -> str:
    """The country's name in the active language (中国 on Chinese pages, China on English
    ones), never the bare code a reader may not know; the code itself when django-countries
    does not know it."""
    return core_country_name(code) or str(code or "")


def public_fields(certificate, *, today, superseded=False) -> dict:
    """The public facts of one certificate version: the same for the pages and the API."""
    client = certificate.certification.client
    status = None if superseded else ps.public_status(certificate, on=today)
    return {
        "number": certificate.full_number,
        "client_name": client.legal_name,
        "client_english_name": client.english_name,
        "city": client.city,
        "country": str(client.country),
        "standard": f"{certificate.standard.code}:{certificate.standard.edition}",
        "scope": certificate.scope,
        "status": status,
        "superseded": superseded,
        "effective_date": certificate.effective_date,
        "expiry_date": certificate.expiry_date,
        "original_certification_date": certificate.original_certification_date,
    }


def _display(fields: dict, search_url: str) -> SimpleNamespace:
    """Public fields plus the translated status words and the page URL, for templates: an
    object, as Jinja2 reads ``c.number`` as an attribute first (on a dict it raises and catches
    AttributeError before the item lookup, two dozen times a page)."""
    if fields["superseded"]:
        label, explanation = ps.SUPERSEDED_LABEL, ps.SUPERSEDED_EXPLANATION
    else:
        label, explanation = ps.label(fields["status"]), ps.explanation(fields["status"])
    return SimpleNamespace(
        **fields,
        # Translated once here: a lazy string would be translated again at every use in the
        # template (escaping asks it for __html__ through the lazy proxy).
        status_label=str(label),
        status_explanation=str(explanation),
        country_name=country_name(fields["country"]),
        # reverse("public:certificate") as a string: called for every search result.
        url=f"{search_url}{quote(fields['number'], safe='')}/",
    )


def _validity_sentence(validity, number: str):
    values = {"date": validity.on.isoformat(), "number": number}
    if not validity.issued:
        return MSG_ON_NOT_ISSUED % values
    values.update(number=validity.certificate.full_number, status=ps.label(validity.status))
    if validity.since is None:
        return MSG_ON_ACTIVE % values
    return MSG_ON_SINCE % {**values, "since": validity.since.isoformat()}


def _validity(lookup, on):
    certificate = lookup.certificate
    return validity_on(
        on,
        versions=lookup.versions,
        decisions=decisions_for_history(certificate.certification_id),
        certification=certificate.certification,
    )


@functools.lru_cache(maxsize=64)
def _search_url(script_prefix: str, language: str) -> str:
    """reverse("public:search") for this script prefix and (active) language: the same for
    every request, and reverse() is a tenth of a lookup page's Python."""
    return reverse("public:search")


@functools.cache
def _language_names() -> list[tuple[str, str]]:
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


def _neutral_path(path_info: str) -> str:
    """The path without its language prefix ("/zh-hans/verify/X/" -> "/verify/X/")."""
    for code, _name in settings.LANGUAGES:
        prefix = f"/{code}/"
        if path_info.startswith(prefix):
            return path_info[len(prefix) - 1 :]
    return path_info


def _page_context(request) -> dict:
    """The language links (this page, same query, other language) and the body's name.
    String work, not reverse(): the default language has no prefix (i18n_patterns with
    prefix_default_language=False), every other one /<code>/. Called on every public page."""
    query = request.META.get("QUERY_STRING", "")
    current = translation.get_language()
    prefix = get_script_prefix()
    script = prefix.rstrip("/")
    neutral = _neutral_path(request.path_info)
    links = []
    for code, name in _language_names():
        path = neutral if code == settings.LANGUAGE_CODE else f"/{code}{neutral}"
        url = f"{script}{path}"
        links.append(
            SimpleNamespace(
                code=code,
                name=name,
                url=f"{url}?{query}" if query else url,
                current=code == current,
            )
        )
    return {
        "language": current,
        "language_links": links,
        "body_name": settings.CERTBODY["BODY_NAME"],
        "search_url": _search_url(prefix, current),
        "max_query_length": settings.CERTBODY["PUBLIC_MAX_QUERY_LENGTH"],
    }


# -- pages -----------------------------------------------------------------------------------
@public_view()
def search(request):
    raw = request.GET.get("q")
    q = _clean(raw or "")
    context = {**_page_context(request), "q": q[: settings.CERTBODY["PUBLIC_MAX_QUERY_LENGTH"]]}
    if raw is not None:
        problem = _query_problem(q)
        if problem:
            context["problem"] = problem
        else:
            today = timezone.localdate()
            found = selectors.search(q)
            url = context["search_url"]
            context["results"] = [
                _display(public_fields(c, today=today), url) for c in found.certificates
            ]
            context["searched"] = True
            if found.more:
                context["more"] = MSG_MORE % {"n": selectors.MAX_RESULTS}
            if not found.certificates:
                context["no_results"] = MSG_NO_RESULTS % {"q": q}
    return _render(request, "public/search.html", context)


@public_view()
def certificate(request, number):
    number = _clean(number)
    page = _page_context(request)
    lookup = None
    if len(number) <= settings.CERTBODY["PUBLIC_MAX_QUERY_LENGTH"]:
        lookup = selectors.certificate_lookup(number)
    if lookup is None:
        context = {**page, "message": MSG_NOT_FOUND % {"number": number[:100]}}
        return _render(request, "public/not_found.html", context, status=404)
    today = timezone.localdate()
    cert = lookup.certificate
    shown = _display(
        public_fields(cert, today=today, superseded=lookup.superseded), page["search_url"]
    )
    context = {
        **page,
        "certificate": shown,
        "newest": (
            _display(public_fields(lookup.newest, today=today), page["search_url"])
            if lookup.superseded
            else shown
        ),
        "on_value": _clean(request.GET.get("on") or "")[:10],
        "today": today,
    }
    on, problem = _parse_on(request.GET.get("on"), today=today)
    if problem:
        context["on_problem"] = problem
    elif on is not None:
        validity = _validity(lookup, on)
        context["validity"] = validity
        context["validity_sentence"] = _validity_sentence(validity, cert.number)
    return _render(request, "public/certificate.html", context)


# -- JSON API --------------------------------------------------------------------------------
def _json_fields(fields: dict) -> dict:
    """Public fields for machines: dates in ISO form, status in IAF CertSearch's English."""
    with translation.override("en"):
        explanation = str(
            ps.SUPERSEDED_EXPLANATION if fields["superseded"] else ps.explanation(fields["status"])
        )
    return {
        "number": fields["number"],
        "client": {
            "name": fields["client_name"],
            "english_name": fields["client_english_name"],
            "city": fields["city"],
            "country": fields["country"],
        },
        "standard": fields["standard"],
        "scope": fields["scope"],
        "status": ps.CERTSEARCH_STATUS.get(fields["status"]),
        "status_explanation": explanation,
        "superseded": fields["superseded"],
        "effective_date": fields["effective_date"].isoformat(),
        "expiry_date": fields["expiry_date"].isoformat(),
        "original_certification_date": fields["original_certification_date"].isoformat(),
        "url": reverse("public:certificate", kwargs={"number": fields["number"]}),
    }


def _json_error(message, status):
    with translation.override("en"):
        return JsonResponse({"error": str(message)}, status=status)


@public_view(json=True)
def api_search(request):
    q = _clean(request.GET.get("q", ""))
    problem = _query_problem(q)
    if problem:
        return _json_error(problem, 400)
    today = timezone.localdate()
    found = selectors.search(q)
    results = [_json_fields(public_fields(c, today=today)) for c in found.certificates]
    return JsonResponse(
        {"query": q, "count": len(results), "more": found.more, "results": results},
        json_dumps_params={"ensure_ascii": False},
    )


@public_view(json=True)
def api_certificate(request, number):
    number = _clean(number)
    lookup = None
    if len(number) <= settings.CERTBODY["PUBLIC_MAX_QUERY_LENGTH"]:
        lookup = selectors.certificate_lookup(number)
    if lookup is None:
        return _json_error(MSG_NOT_FOUND % {"number": number[:100]}, 404)
    today = timezone.localdate()
    on, problem = _parse_on(request.GET.get("on"), today=today)
    if problem:
        return _json_error(problem, 400)
    cert = lookup.certificate
    data = _json_fields(public_fields(cert, today=today, superseded=lookup.superseded))
    if lookup.superseded:
        data["newest_number"] = lookup.newest.full_number
    if on is not None:
        validity = _validity(lookup, on)
        with translation.override("en"):
            text = str(_validity_sentence(validity, cert.number))
        data["valid_on"] = {
            "date": on.isoformat(),
            "certificate": validity.certificate.full_number if validity.issued else None,
            "status": ps.CERTSEARCH_STATUS.get(validity.status),
            "valid": validity.valid,
            "since": validity.since.isoformat() if validity.since else None,
            "text": text,
        }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
