"""Database helpers shared by the apps."""

from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def server_bound_cursor():
    """A psycopg cursor of Django's connection (so in the current transaction) that binds its
    parameters on the server: arrays go in binary (``%b``), and ``execute(..., prepare=True)``
    prepares the statement once per connection. Django's own cursors bind on the client and
    never prepare; psycopg honours ``prepare=True`` only because the settings give it a
    prepare_threshold (certbody/settings/base.py, DJANGO_DB_PREPARED_STATEMENTS). Django's
    execute wrappers do not see these statements, nor connection.queries unless the caller
    records them. PostgreSQL only."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        yield cursor
