"""Export of the client list in the import's own columns (clients/imports/columns.py), as CSV
or XLSX (infra/tabular/export.py), so that an export imported again changes nothing (the round
trip). CSV text cells that a spreadsheet would run as a formula (=, +, -, @, tab, carriage
return first) are written with a ' in front, which the import takes off (infra/csvsafe.py);
XLSX cells are typed text.

One row per client: its fields, its other sites as "name|city|address; ...", its primary
contact, and its newest application (standard, scope, date the management system started).
Streams: clients are read CHUNK at a time with their sites, contacts and applications
prefetched (a fixed number of queries per chunk), and rows are written as they come (XLSX in
openpyxl's write-only mode).
"""

from __future__ import annotations

from django.db.models import Prefetch

from infra.tabular import ENCODINGS, FORMATS, write_table

from ..models import Application, Client, Contact, Site
from .columns import CLIENT_COLUMNS

# The formats offered (manage.py export_clients): infra/tabular/export.py's.
__all__ = ["CHUNK", "ENCODINGS", "FORMATS", "export_clients", "export_headers", "export_rows"]

CHUNK = 2000


def export_headers(language: str = "zh") -> list[str]:
    chinese = language.startswith("zh")
    return [c.label_zh if chinese else c.label_en for c in CLIENT_COLUMNS.values()]


def _row(client: Client) -> list:
    sites = [s for s in client.sites.all() if not s.is_central]
    contact = next(iter(client.contacts.all()), None)
    application = next(iter(client.applications.all()), None)
    standard = next(iter(application.standards.all()), None) if application else None
    values = {
        "legal_name": client.legal_name,
        "registration_id": client.registration_id,
        "english_name": client.english_name,
        "country": str(client.country),
        "city": client.city,
        "address": client.address,
        "effective_personnel": client.effective_personnel,
        "standard": f"{standard.code}:{standard.edition}" if standard else "",
        "scope": application.scope if standard else "",
        "system_operating_since": (
            application.system_operating_since if standard and application else None
        ),
        "contact_name": contact.name if contact else "",
        "contact_phone": contact.phone if contact else "",
        "contact_email": contact.email if contact else "",
        "sites": "; ".join(f"{s.name}|{s.city}|{s.address}" for s in sites),
    }
    return [values[name] for name in CLIENT_COLUMNS]


def export_rows(queryset=None):
    """Rows of the export, streamed."""
    queryset = (queryset if queryset is not None else Client.objects.all()).order_by("pk")
    queryset = queryset.prefetch_related(
        Prefetch("sites", queryset=Site.objects.order_by("name", "pk")),
        Prefetch("contacts", queryset=Contact.objects.filter(is_primary=True).order_by("-pk")),
        Prefetch(
            "applications",
            queryset=Application.objects.order_by("-received_on", "-pk").prefetch_related(
                "standards"
            ),
        ),
    )
    for client in queryset.iterator(chunk_size=CHUNK):
        yield _row(client)


def export_clients(
    out, *, format: str = "csv", encoding: str = "utf-8-sig", language: str = "zh", queryset=None
) -> int:
    """Write the export to ``out`` (a path or a binary file object); returns the rows written."""
    return write_table(
        out,
        headers=export_headers(language),
        rows=export_rows(queryset),
        format=format,
        encoding=encoding,
        sheet_name="clients",
    )
