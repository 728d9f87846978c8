"""Template helpers of the workspace: times in the body's zone, names in their owner's order,
query strings for filters and pages."""

import datetime

from django import template
from django.utils import translation
from django.utils.http import urlencode

from core.dates import local_datetime_text
from core.languages import mark_language, mark_language_parts
from core.names import person_name
from core.notes import note_text

register = template.Library()


@register.filter
def local(value, arg=""):
    """A stored moment in the body's time zone, as people write it ("2026-12-07 05:37"; with
    seconds when ``arg`` is "seconds"); a date as YYYY-MM-DD; "" for None."""
    if isinstance(value, datetime.datetime):
        return local_datetime_text(value, seconds=arg == "seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else value


@register.filter
def person(user):
    """王建华, Anna Schmidt: a user's name in their own order (core.names)."""
    return person_name(user)


@register.filter
def lang(text):
    """A name in ``<span lang="...">`` when its script is not the page's language
    (core.languages): ``{{ client.legal_name|lang }}``, ``{{ user|person|lang }}``. For text,
    never inside an attribute or a <title>."""
    return mark_language(text, translation.get_language())


@register.filter
def lang_parts(text):
    """Each part of a sentence written in another script than the page's language in its own
    ``<span lang>`` (core.languages): history notes that name a client or a person."""
    return mark_language_parts(text, translation.get_language())


@register.filter
def note(description):
    """A history row's description in the reader's language (core.notes): "Recommendation:
    Recommend certification" reads in Chinese on a Chinese page, whatever language it was
    written in; a reason a person typed is shown as typed."""
    return note_text(description)


@register.simple_tag(takes_context=True)
def query(context, **changes):
    """The current query string with ``changes`` (a value of None drops the key), e.g.
    ``?{% query page=2 %}`` keeps the filters and moves to page 2."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    return urlencode(sorted(params.lists()), doseq=True)
