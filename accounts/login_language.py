"""After login, the interface in the user's preferred language (UserPreference.language).

The admin and the auditor pages sit inside i18n_patterns with prefix_default_language=False:
their language is the URL's prefix (/zh-hans/admin/ in Chinese, /admin/ in LANGUAGE_CODE), and
LocaleMiddleware reads neither the session nor the language cookie for them. So, as Django's
set_language view does, the login's redirect is moved to the same page in the preferred
language (translate_url); the admin's links keep that prefix from then on.

``remember_login_language`` (a user_logged_in receiver, connected in AccountsConfig.ready) notes
the language on the request; ``LoginLanguageMiddleware`` moves the redirect of that request.
A user without a preference (or with a blank one) stays in the language they logged in with.
"""

from django.conf import settings
from django.urls import translate_url
from django.utils import translation

from accounts.models import UserPreference

ATTRIBUTE = "_certbody_login_language"


def remember_login_language(sender, request, user, **kwargs):
    """user_logged_in: note the user's preferred language, if any, on the login request."""
    if request is None:  # e.g. a login outside a request
        return
    try:
        language = user.preference.language
    except UserPreference.DoesNotExist:
        return
    if language:
        setattr(request, ATTRIBUTE, language)


def in_language(url: str, language: str) -> str:
    """``url`` (a page of certbody in any language) in ``language``; unchanged if it is not
    one of certbody's pages. translate_url resolves the URL in the active language, so try
    each: the login page's language and its ``next`` may differ."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            moved = translate_url(url, language)
        if moved != url:
            return moved
    return url


class LoginLanguageMiddleware:
    """Moves the redirect after a login to the user's preferred language (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        language = getattr(request, ATTRIBUTE, None)
        if language and response.has_header("Location"):
            response["Location"] = in_language(response["Location"], language)
        return response
