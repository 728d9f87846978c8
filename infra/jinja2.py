"""The Jinja2 environment for the public verification pages (certificates/public.py).

Those pages serve every QR scan and every anonymous lookup, so their templates are rendered by
Jinja2 (compiled to Python once per process) rather than Django's template engine, with
constant labels translated once per language (docs/decisions/002-jinja2-public-pages.md). Staff
pages and the admin stay on Django templates.

Translation: ``_("text")`` is Django's gettext in the language of the request; formatted
messages use the ``format`` filter, e.g. ``{{ _("Certificate %(number)s")|format(number=c.number)
}}``, so that ``manage.py makemessages`` finds every msgid (Django's template scanner reads
``_("...")`` constants). A constant ``_("text")`` is translated when the template is compiled:
the backend (``Jinja2``, settings.TEMPLATES) keeps one environment per language, and the
``ConstantTranslations`` extension puts the translated text into that language's compiled
template, where Jinja2 escapes it once. The labels of a certificate page then cost nothing per
request; they were a third of its rendering (docs/benchmarks.md). ``_(value)`` of
anything else is translated when the page renders. Autoescaping is on for every template.
"""

import weakref

import jinja2
from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.backends import jinja2 as django_jinja2
from django.utils import translation
from django.utils.autoreload import file_changed
from jinja2 import Environment, Undefined
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_LPAREN, TOKEN_NAME, TOKEN_RPAREN, TOKEN_STRING, Token
from markupsafe import Markup, escape

from core.languages import mark_language


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


class ConstantTranslations(Extension):
    """``_("constant")`` in a template becomes the constant's translation when the template is
    compiled in an environment that has a language (``Jinja2.environment_for``)."""

    def filter_stream(self, stream):
        language = getattr(self.environment, "certbody_language", None)
        if language is None:
            yield from stream
            return
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if (
                token.test(f"{TOKEN_NAME}:_")
                and i + 3 < len(tokens)
                and tokens[i + 1].type == TOKEN_LPAREN
                and tokens[i + 2].type == TOKEN_STRING
                and tokens[i + 3].type == TOKEN_RPAREN
                and not (i > 0 and tokens[i - 1].type == "dot")
            ):
                with translation.override(language):
                    text = translation.gettext(tokens[i + 2].value)
                yield Token(token.lineno, TOKEN_STRING, text)
                i += 4
                continue
            yield token
            i += 1


_BACKENDS = weakref.WeakSet()


class Jinja2(django_jinja2.Jinja2):
    """Django's Jinja2 backend with one environment per language (an overlay of the configured
    one, with its own compiled templates), chosen by the request's active language."""

    def __init__(self, params):
        super().__init__(params)
        self._environments: dict[str, Environment] = {}
        _BACKENDS.add(self)

    def environment_for(self, language: str | None) -> Environment:
        language = language or settings.LANGUAGE_CODE
        env = self._environments.get(language)
        if env is None:
            env = self.env.overlay()
            env.certbody_language = language
            self._environments[language] = env
        return env

    def forget_compiled(self) -> None:
        self._environments.clear()

    def from_string(self, template_code):
        env = self.environment_for(translation.get_language())
        return django_jinja2.Template(env.from_string(template_code), self)

    def get_template(self, template_name):
        # Django's Jinja2.get_template, with this language's environment.
        env = self.environment_for(translation.get_language())
        try:
            return django_jinja2.Template(env.get_template(template_name), self)
        except jinja2.TemplateNotFound as exc:
            raise TemplateDoesNotExist(exc.name, backend=self) from exc
        except jinja2.TemplateSyntaxError as exc:
            new = TemplateSyntaxError(exc.args)
            new.template_debug = django_jinja2.get_exception_info(exc)
            raise new from exc


def _forget_translations(sender, file_path, **kwargs):
    """runserver reloads the catalogs when a .mo file changes without restarting: forget the
    templates compiled with the old translations (django.utils.autoreload's file_changed)."""
    if file_path.suffix == ".mo":
        for backend in list(_BACKENDS):
            backend.forget_compiled()


def environment(**options):
    file_changed.connect(_forget_translations, dispatch_uid="infra.jinja2.translations")
    options.setdefault("autoescape", True)
    # A variable a view does not pass renders as "" with DEBUG on too (Django's backend picks
    # DebugUndefined then, which prints "{{ name }}" into the page).
    options["undefined"] = Undefined
    options["extensions"] = [*options.get("extensions", ()), ConstantTranslations]
    env = Environment(**options)
    # _(value) of anything but a constant: translated at render time, in the active language.
    env.globals["_"] = translation.gettext
    env.filters["iso_date"] = iso_date
    env.filters["linebreaksbr"] = linebreaksbr
    # A name in another script than the page's, marked with its lang (core/languages.py).
    env.filters["lang"] = lambda text: mark_language(text, translation.get_language())
    return env
