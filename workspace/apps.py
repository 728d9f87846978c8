from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The staff workspace: where CB staff, decision makers and auditors do their day's work
    (the admin stays for configuration and raw records)."""

    name = "workspace"
    verbose_name = _("Workspace")
