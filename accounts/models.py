"""A person using certbody: what they prefer beyond Django's User."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserPreference(models.Model):
    """What a user prefers that Django's User does not hold: the language of the mail certbody
    sends them (reminder digests, CertSearch notices) and of the interface after they log in.
    Blank: the body's default language (LANGUAGE_CODE)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="preference",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Language of the mail certbody sends and of the interface after login."),
    )

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self):
        return str(self.user)


def user_language(user) -> str:
    """The language to write to ``user`` in: their preference, else LANGUAGE_CODE."""
    try:
        return user.preference.language or settings.LANGUAGE_CODE
    except UserPreference.DoesNotExist:
        return settings.LANGUAGE_CODE
