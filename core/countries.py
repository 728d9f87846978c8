"""Country names from ISO 3166 codes (django-countries, with the settings' COUNTRIES_OVERRIDE):
one place for the public page (the reader's language), the certificate (Chinese and English)
and the IAF CertSearch export (English)."""

import functools

from django.conf import settings
from django.utils import translation
from django_countries import countries


@functools.lru_cache(maxsize=1024)
def _name(code: str, language: str) -> str:
    with translation.override(language):
        return str(countries.name(code) or "")


def country_name(code, language: str | None = None) -> str:
    """The name of the country ``code`` in ``language`` (default: the active one), e.g.
    "中国" / "China"; "" for an empty code or one django-countries does not know."""
    code = str(code or "").upper()
    if not code:
        return ""
    return _name(code, language or translation.get_language() or settings.LANGUAGE_CODE)
