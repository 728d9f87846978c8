from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """People and sign-in: user preferences, the language after login, login throttling."""

    name = "accounts"
    verbose_name = _("Users and sign-in")

    def ready(self):
        # Imports the models: only once the app registry is ready.
        from accounts.login_language import remember_login_language  # noqa: PLC0415

        user_logged_in.connect(remember_login_language, dispatch_uid="accounts.login_language")
