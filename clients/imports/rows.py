"""A clean row of a client list (:class:`ClientRow`) and the columns the writer compares and
COPYs.

A row's COPY lines (:func:`copy_lines`) are made while it is read, in the reading thread, which
has time to spare: the writing thread then only puts the ids in front (writer.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from operator import attrgetter

from infra.tabular.pgcopy import copy_escape, copy_field

from ..models import Client, Standard

CLIENT_FIELDS = ("legal_name", "english_name", "country", "city", "address", "effective_personnel")
client_values = attrgetter(*CLIENT_FIELDS)  # of a ClientRow or a Client: one tuple
# COPY of the new clients' sites and primary contacts: plain tuples in this column order (id
# and anything else not listed take the column default). Every NOT NULL column is listed.
SITE_COPY_FIELDS = ("client", "name", "is_central", "city", "address", "personnel")
CONTACT_COPY_FIELDS = ("client", "name", "role", "phone", "email", "is_primary")


@dataclass
class ClientRow:
    row: int
    key: str
    legal_name: str
    registration_id: str
    english_name: str
    country: str
    city: str
    address: str
    effective_personnel: int
    standard: Standard | None
    scope: str
    system_operating_since: datetime.date | None
    contact_name: str
    contact_phone: str
    contact_email: str
    sites: list[tuple[str, str, str]]
    # Computed while reading (the reading thread has time to spare, the writing one has not):
    # Client.set_search_fields() of the names and, on PostgreSQL, the row's COPY lines should
    # the client be new (copy_lines; the writer only adds the ids).
    search_text: str = ""
    search_grams: str = ""
    copy_client: str = ""  # CLIENT_COPY_FIELDS, then id and created_at go after it
    copy_sites: tuple[str, ...] = ()  # SITE_COPY_FIELDS without the client id that goes first
    copy_contact: str = ""  # CONTACT_COPY_FIELDS without the client id; "" without a contact


CLIENT_DEFAULTS = {f.attname: f.get_default() for f in Client._meta.concrete_fields}
# The new client's columns in the COPY but its id and creation time, which the writer adds.
CLIENT_COPY_FIELDS = tuple(
    f.attname for f in Client._meta.concrete_fields if f.attname not in ("id", "created_at")
)
# Those columns as COPY text, with the model's defaults: what a row does not set.
_CLIENT_COPY_DEFAULTS = {name: copy_field(CLIENT_DEFAULTS[name]) for name in CLIENT_COPY_FIELDS}


def new_client(r: ClientRow) -> Client:
    """``Client(registration_id=r.key, legal_name=r.legal_name, ...)`` with its search fields
    (``set_search_fields()``, computed by clean_row), with positional
    arguments: Model.__init__ then skips the keyword handling and the default of every field
    not given (half its time, for every new client)."""
    values = CLIENT_DEFAULTS.copy()
    values["registration_id"] = r.key
    for name, value in zip(CLIENT_FIELDS, client_values(r), strict=True):
        values[name] = value
    values["search_text"], values["search_grams"] = r.search_text, r.search_grams
    return Client(*values.values())


def copy_lines(r: ClientRow) -> None:
    """The row's COPY lines for a new client, its sites and its contact, without the ids
    (computed in the reading thread: the writer then only puts the ids in front). The client's
    values are those of ``new_client(r)``: the model's defaults, the row's CLIENT_FIELDS, its
    key and its search fields."""
    values = _CLIENT_COPY_DEFAULTS.copy()  # keeps CLIENT_COPY_FIELDS' order
    for name, value in zip(CLIENT_FIELDS, client_values(r), strict=True):
        values[name] = copy_field(value)
    values["registration_id"] = copy_escape(r.key)
    values["search_text"] = copy_escape(r.search_text)
    values["search_grams"] = copy_escape(r.search_grams)
    r.copy_client = "\t".join(values.values())
    # SITE_COPY_FIELDS and CONTACT_COPY_FIELDS after the client id; the central site as the
    # client's own name, city, address and personnel.
    v = values
    sites = [f"{v['legal_name']}\tt\t{v['city']}\t{v['address']}\t{v['effective_personnel']}"]
    for site_name, site_city, site_address in r.sites:
        sites.append(
            f"{copy_escape(site_name)}\tf\t{copy_escape(site_city)}\t{copy_escape(site_address)}\t0"
        )
    r.copy_sites = tuple(sites)
    if r.contact_name:
        r.copy_contact = (
            f"{copy_escape(r.contact_name)}\t\t{copy_escape(r.contact_phone)}\t"
            f"{copy_escape(r.contact_email)}\tt"
        )
