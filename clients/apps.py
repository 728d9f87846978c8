from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Clients and applications")

    def ready(self):
        # The client list, a kind of ImportJob (clients/imports/registry.py; certificates
        # registers its own). The import reads the models: only once the registry is ready.
        from .imports.client_import import import_clients  # noqa: PLC0415
        from .imports.registry import ImportKind, register_import_kind  # noqa: PLC0415
        from .models import ImportJob  # noqa: PLC0415

        register_import_kind(
            ImportJob.Kind.CLIENTS,
            ImportKind(
                run=import_clients, permissions=("clients.add_client", "clients.change_client")
            ),
        )
