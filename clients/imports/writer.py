"""Writing one chunk of a client list: clients, their central site, other sites and primary
contact, then the applications of the rows naming a standard (through the step the
certificates app registered: registry.py). A fixed number of queries per chunk.

1. one query finds the clients that already exist (by the stable key, the registration id)
   with their central site and primary contact, as plain tuples of the columns compared
   (model instances cost more to build than the rest of an update chunk's Python);
2. new clients are written with ``COPY`` on PostgreSQL (their ids reserved from the table's
   sequence in one query, so their sites and contact carry the id without a round trip;
   ``bulk_create`` on other databases), changed ones with one ``UPDATE ... FROM unnest()``
   per chunk (infra/tabular/pgbulk.py); rows that change nothing are counted as unchanged.

Concurrent imports. The unique registration id stays the guard: when another import creates
one of this chunk's new clients between the lookup and the write, the write fails on the
unique constraint (:class:`CreatedMeanwhile`): the whole import is rolled back and the report
names the row.
"""

from __future__ import annotations

import datetime
import re

import psycopg
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext_lazy

from infra.tabular import RowError
from infra.tabular.pgbulk import update_rows, values_in
from infra.tabular.pgcopy import copy_field, copy_text

from ..models import Client, Contact, Site
from .registry import ApplicationStep, application_step
from .rows import (
    CLIENT_COPY_FIELDS,
    CLIENT_FIELDS,
    CONTACT_COPY_FIELDS,
    SITE_COPY_FIELDS,
    ClientRow,
    client_values,
    new_client,
)

BATCH = 2000  # rows per bulk_create
MSG_CREATED_MEANWHILE = gettext_lazy(
    "another import created this client meanwhile; run the import again"
)
MSG_CREATED_MEANWHILE_CHUNK = gettext_lazy(
    "another import created one of the clients of rows %(first)d to %(last)d meanwhile; run "
    "the import again"
)
_UNIQUE_KEY = re.compile(r"\)=\((.*)\) already exists")


class CreatedMeanwhile(Exception):
    """A new client of the chunk exists after all: another import wrote it after the lookup
    (the unique registration id refused the write). Leaves the transaction, rolling back."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


def create_clients(new_rows: list[ClientRow]) -> list[int]:
    """Write the chunk's new clients and return their ids (in the order of ``new_rows``).

    PostgreSQL: the ids are reserved from the table's sequence in one query and the clients
    written with one COPY of the lines the reading thread prepared (every concrete column:
    the model's defaults included). Elsewhere ``bulk_create``. A registration id another
    import wrote meanwhile fails on the unique constraint: raised as CreatedMeanwhile."""
    if connection.vendor != "postgresql":
        clients = [new_client(r) for r in new_rows]
        try:
            Client.objects.bulk_create(clients, batch_size=BATCH)
        except IntegrityError as err:
            if "registration_id" not in str(err):
                raise
            first, last = new_rows[0].row, new_rows[-1].row
            raise CreatedMeanwhile(
                RowError(
                    first, "", "", str(MSG_CREATED_MEANWHILE_CHUNK % {"first": first, "last": last})
                )
            ) from err
        return [c.pk for c in clients]
    meta = Client._meta
    created = copy_field(timezone.now())  # auto_now_add, as bulk_create's pre_save
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, in Django's connection and transaction
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(new_rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        text = "".join(
            f"{r.copy_client}\t{pk}\t{created}\n" for r, pk in zip(new_rows, ids, strict=True)
        )
        try:
            copy_text(cursor, Client, [*CLIENT_COPY_FIELDS, "id", "created_at"], text)
        except psycopg.errors.UniqueViolation as err:
            detail = err.diag.message_detail or ""
            if "registration_id" not in detail:
                raise
            match = _UNIQUE_KEY.search(detail)
            key = match.group(1) if match else ""
            row = next((r.row for r in new_rows if r.key == key), new_rows[0].row)
            raise CreatedMeanwhile(RowError(row, "", key, str(MSG_CREATED_MEANWHILE))) from err
    return ids


class _Existing:
    """What the database holds for a chunk's keys, as plain tuples: the clients (key -> (pk,
    values of CLIENT_FIELDS)), their central sites (client pk -> (pk, city, address)), other
    sites ((client pk, name) -> (pk, city, address)) and primary contacts (client pk -> (pk,
    client pk, name, phone, email)). Three queries; none for the sites and contacts when every
    client is new."""

    def __init__(self, rows: list[ClientRow]):
        self.clients = {
            row[1]: (row[0], row[2:])
            for row in values_in(
                Client.objects.all(),
                "registration_id",
                [r.key for r in rows],
                ("pk", "registration_id", *CLIENT_FIELDS),
            )
        }
        self.central, self.others, self.contacts = {}, {}, {}
        ids = [pk for pk, _values in self.clients.values()]
        if not ids:
            return
        sites = values_in(
            Site.objects.all(),
            "client",
            ids,
            ("pk", "client_id", "name", "is_central", "city", "address"),
        )
        for pk, client_id, name, is_central, city, address in sites:
            if is_central:
                self.central[client_id] = (pk, city, address)
            else:
                self.others[(client_id, name)] = (pk, city, address)
        primary = Contact.objects.filter(is_primary=True).order_by("-pk")
        self.contacts = {  # the lowest pk wins, as before
            c[1]: c
            for c in values_in(
                primary, "client", ids, ("pk", "client_id", "name", "phone", "email")
            )
        }


class ClientWriter:
    """Writes one chunk of clean rows (``write``, stream_chunks' writer) and counts what it did
    in the report."""

    def __init__(self, report, *, received_on: datetime.date, by=None):
        self.report = report
        self.received_on = received_on
        self.by = by
        self._application_step: ApplicationStep | None = None

    def write(self, rows: list[ClientRow]) -> None:
        existing = _Existing(rows)
        by_row, new_clients, new_ids = self._clients(rows, existing)
        touched = self._sites_and_contacts(rows, existing, by_row, new_clients, new_ids)
        # A client whose own fields were unchanged but whose sites or contact changed is updated.
        unchanged_rows = {r.row for r in rows} - set(by_row)
        moved = len(touched & unchanged_rows)
        self.report.unchanged -= moved
        self.report.updated += moved
        self._applications(rows, existing, by_row)

    def _clients(self, rows, existing: _Existing):
        """Create the new clients and update the changed ones. Returns (row -> client pk for
        the rows whose client is new or changed, the new rows, their new pks)."""
        new_clients, changed = [], []
        by_row = {}
        for r in rows:
            found = existing.clients.get(r.key)
            if found is None:
                new_clients.append(r)
            elif found[1] != (values := client_values(r)):
                changed.append((found[0], *values, r.search_text, r.search_grams))
                by_row[r.row] = found[0]
            else:
                self.report.unchanged += 1
        new_ids = create_clients(new_clients) if new_clients else []
        for r, pk in zip(new_clients, new_ids, strict=True):
            by_row[r.row] = pk
        update_rows(Client, [*CLIENT_FIELDS, "search_text", "search_grams"], changed)
        self.report.created += len(new_clients)
        self.report.updated += len(changed)
        return by_row, new_clients, new_ids

    def _sites_and_contacts(self, rows, existing: _Existing, by_row, new_clients, new_ids):
        """The central site, other sites and primary contact of each row's client: the new
        clients' by COPY (PostgreSQL), the others compared with what the database holds.
        Returns the rows whose sites or contact changed."""
        site_new, site_changed, contact_new, contact_changed = [], {}, [], []
        touched = set()
        copy = connection.vendor == "postgresql" and bool(new_clients)
        if copy:
            self._copy_new(new_clients, new_ids)
        central, others, contacts = existing.central, existing.others, existing.contacts
        for r in rows:
            if copy and r.key not in existing.clients:
                continue
            client_id = by_row.get(r.row) or existing.clients[r.key][0]
            site = central.get(client_id)
            if site is None:
                site_new.append(
                    Site(
                        client_id=client_id,
                        name=r.legal_name,
                        is_central=True,
                        city=r.city,
                        address=r.address,
                        personnel=r.effective_personnel,
                    )
                )
            elif (site[1], site[2]) != (r.city, r.address):
                site_changed[site[0]] = (site[0], r.city, r.address)
                touched.add(r.row)
            for name, city, address in r.sites:
                site = others.get((client_id, name))
                if site is None:
                    site_new.append(
                        Site(
                            client_id=client_id,
                            name=name,
                            is_central=False,
                            city=city,
                            address=address,
                        )
                    )
                    touched.add(r.row)
                elif (site[1], site[2]) != (city, address):
                    # A site named twice in one row: the last entry wins (one UPDATE per site).
                    others[(client_id, name)] = site_changed[site[0]] = (site[0], city, address)
                    touched.add(r.row)
            if r.contact_name:
                contact = contacts.get(client_id)
                values = (r.contact_name, r.contact_phone, r.contact_email)
                if contact is None:
                    contact_new.append(
                        Contact(
                            client_id=client_id,
                            name=r.contact_name,
                            phone=r.contact_phone,
                            email=r.contact_email,
                            is_primary=True,
                        )
                    )
                    touched.add(r.row)
                elif contact[2:] != values:
                    contact_changed.append((contact[0], *values))
                    touched.add(r.row)
        Site.objects.bulk_create(site_new, batch_size=BATCH)
        update_rows(Site, ["city", "address"], list(site_changed.values()))
        Contact.objects.bulk_create(contact_new, batch_size=BATCH)
        update_rows(Contact, ["name", "phone", "email"], contact_changed)
        return touched

    @staticmethod
    def _copy_new(new_clients, new_ids) -> None:
        """New clients have no sites or contacts yet: their lines (prepared by the reading
        thread) go straight to COPY, the client id in front."""
        site_lines, contact_lines = [], []
        for r, pk in zip(new_clients, new_ids, strict=True):
            site_lines += [f"{pk}\t{line}\n" for line in r.copy_sites]
            if r.copy_contact:
                contact_lines.append(f"{pk}\t{r.copy_contact}\n")
        with connection.cursor() as wrapper:
            copy_text(wrapper.cursor, Site, SITE_COPY_FIELDS, "".join(site_lines))
            if contact_lines:
                copy_text(wrapper.cursor, Contact, CONTACT_COPY_FIELDS, "".join(contact_lines))

    def _applications(self, rows, existing: _Existing, by_row) -> None:
        """The rows naming a standard, to the application step (certificates')."""
        wanted = [
            (r, by_row.get(r.row) or existing.clients[r.key][0], r.key in existing.clients)
            for r in rows
            if r.standard is not None
        ]
        if not wanted:
            return
        if self._application_step is None:
            self._application_step = application_step(
                self.report, received_on=self.received_on, by=self.by
            )
        self._application_step.write(wanted)
