"""The Jinja2 environment for the public verification pages (certificates/public.py).

Those pages serve every QR scan and every anonymous lookup, so their templates are rendered by
Jinja2 (compiled to Python once per process) rather than Django's template engine, with
translations looked up once per language and message (docs/benchmarks.md, issue 4). Staff
pages and the admin stay on Django templates.

Translation: ``_("text")`` is Django's gettext in the language of the request (a plain
string, escaped like any other value); formatted messages use the ``format`` filter, e.g.
``{{ _("Certificate %(number)s")|format(number=c.number) }}``, so that ``manage.py
makemessages`` finds every msgid (Django's template scanner reads ``_("...")`` constants).
Autoescaping is on for every template.
"""

from django.utils import translation
from jinja2 import Environment, Undefined, pass_context
from markupsafe import Markup, escape

# (language, message) -> translation. Templates pass constant msgids only, so this holds at
# most languages x template messages; catalogs are read at start-up (runserver re-reads them
# when a .mo file changes: _forget_translations).
_TRANSLATED: dict[tuple[str, str], str] = {}


@pass_context
def gettext(context, message: str) -> str:
    """Django's gettext, remembered per language: a catalog lookup through Django's
    per-request active language costs more than the rest of rendering a label."""
    language = context.get("language") or translation.get_language()
    key = (language, message)
    try:
        return _TRANSLATED[key]
    except KeyError:
        with translation.override(language):
            translated = _TRANSLATED[key] = translation.gettext(message)
        return translated


def iso_date(value) -> str:
    """A date as YYYY-MM-DD (the pages print dates in ISO form in every language)."""
    return value.isoformat() if value else ""


def linebreaksbr(value) -> Markup:
    """Django's linebreaksbr filter (escaped text, each line break a <br>), at a fifth of its
    cost: it runs on every certificate's scope."""
    text = str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return escape(text).replace("\n", Markup("<br>"))


def _forget_translations(sender, file_path, **kwargs):
    """runserver reloads the catalogs when a .mo file changes without restarting: forget
    what was remembered (django.utils.autoreload's file_changed)."""
    if file_path.suffix == ".mo":
        _TRANSLATED.clear()


def environment(**options):
    from django.utils.autoreload import file_changed

    file_changed.connect(_forget_translations, dispatch_uid="certbody.jinja2.translations")
    options.setdefault("autoescape", True)
    # A variable a view does not pass renders as "" with DEBUG on too (Django's backend picks
    # DebugUndefined then, which prints "{{ name }}" into the page).
    options["undefined"] = Undefined
    env = Environment(**options)
    env.globals["_"] = gettext
    env.filters["iso_date"] = iso_date
    env.filters["linebreaksbr"] = linebreaksbr
    return env
