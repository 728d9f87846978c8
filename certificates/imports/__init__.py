"""Imports and exports of this app's data, on the tabular engine (infra/tabular/):

- certificate_import.py: existing certificates (a body migrating from its previous system, or
  certificates transferred from another body), each brought into its lifecycle state by the
  services; certificate_columns.py: its columns; certificate_export.py: the same columns out,
  so an export imports back unchanged;
- client_applications.py: what a client list row naming a standard opens: the client's
  application and certification (the client import itself is clients/imports/).

:func:`register_imports` plugs both into clients' import registry (clients/imports/registry.py);
CertificatesConfig.ready() calls it.
"""

from clients.imports.registry import (
    ImportKind,
    register_application_step,
    register_import_kind,
)
from clients.models import ImportJob

from .certificate_import import import_certificates
from .client_applications import ClientListApplications


def register_imports() -> None:
    register_import_kind(
        ImportJob.Kind.CERTIFICATES,
        # Bringing in a certificate records its grant: the decision makers' permission.
        ImportKind(run=import_certificates, permissions=("certificates.decide_certification",)),
    )
    register_application_step(ClientListApplications)
