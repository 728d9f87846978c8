"""Import of client lists: clients with their central site, other sites and primary contact,
and, where a row names a standard, the client's application for it.

Shape. One pass over the file (infra/tabular streams it), CHUNK rows at a time, in one
transaction:

1. each row is cleaned in plain Python (cleaning.py) and either gives a ``ClientRow`` or row
   errors (row number, column, value, why); this happens in a reading thread (no database
   there) while the caller's thread writes the previous chunk (stream_chunks(pipelined=True)):
   PostgreSQL works while Python cleans;
2. per chunk, the writer (writer.py) finds the clients that already exist (by the stable key,
   the registration id: for Chinese entities the unified social credit code, validated with
   its check character) with their central site and primary contact, writes the new ones
   with ``COPY`` on PostgreSQL and updates the changed ones; rows that change nothing are
   counted as unchanged. A client another import created meanwhile is a row error ("another
   import created this client meanwhile; run the import again").

All or nothing: the first row error stops the writing (the rest of the file is still read and
checked, so every problem is reported at once) and the transaction is rolled back. A dry run
(the preview) does the same work and always rolls back, so it reports exactly what an import
would create, update and leave unchanged. Memory stays bounded: a chunk of rows, plus the set
of keys seen (to report a key that appears twice in one file).

Applications. A row with a standard creates the client's application for that standard and
opens its certification (state "applied"), like application_submit; when the client already
has a certification to that standard still in application review ("applied", "under review"),
its application is updated instead; in any later state the application is left as it is
(counted as "kept": the lifecycle moves on from the admin, not from a spreadsheet). An unknown
standard is a row error. The certifications are the certificates app's: it registers that step
(registry.py; certificates/imports/client_applications.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.dates import local_today
from core.policy import policy
from infra.tabular import (
    ImportFileError,
    ImportReport,
    Rollback,
    RowError,
    check_headers,
    open_table,
    stream_chunks,
)
from infra.tabular.pgbulk import tune_import_transaction

from .cleaning import MSG_DUPLICATE, clean_row
from .columns import CLIENT_COLUMNS
from .standards import StandardLookup
from .writer import ClientWriter, CreatedMeanwhile

CHUNK = 2000  # rows written at a time


@dataclass
class ClientImportReport(ImportReport):
    """What a client list import did, or in a dry run would do."""

    applications_created: int = 0
    applications_updated: int = 0
    applications_kept: int = 0

    def summary(self) -> str:
        return _(
            "%(total)d rows: %(created)d clients to create, %(updated)d to update, "
            "%(unchanged)d unchanged; applications: %(app_created)d new, %(app_updated)d "
            "updated, %(app_kept)d kept as they are."
        ) % {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "app_created": self.applications_created,
            "app_updated": self.applications_updated,
            "app_kept": self.applications_kept,
        }


def import_clients(
    source,
    *,
    encoding: str | None = None,
    dry_run: bool = False,
    received_on: datetime.date | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    by=None,
) -> ClientImportReport:
    """Import a client list (CSV or XLSX, path or file object). Nothing is written unless every
    row is valid and ``dry_run`` is false. ``progress(rows done, total or None)`` is called
    after each chunk. ``by``: the importing user, in the history of the certifications the
    import opens or changes (None: the system). File-level problems end up in
    ``report.file_error``."""
    report = ClientImportReport(dry_run=dry_run)
    try:
        table = open_table(source, encoding=encoding, max_bytes=policy("IMPORT_MAX_BYTES"))
    except ImportFileError as err:
        report.file_error = list(err.messages)
        return report
    with table:
        report.format, report.encoding = table.format, table.encoding
        checked = check_headers(table, CLIENT_COLUMNS, report)
        if checked is None:
            return report
        columns, labels = checked
        standards = StandardLookup()
        writer = ClientWriter(report, received_on=received_on or local_today(), by=by)
        copy = connection.vendor == "postgresql"  # new rows go to COPY: lines made while reading
        try:
            with transaction.atomic():
                tune_import_transaction()
                stream_chunks(
                    table,
                    report,
                    # In the reading thread: row errors go to the sink it gives.
                    clean=lambda row, values, sink: clean_row(
                        row,
                        values,
                        columns,
                        labels,
                        sink,
                        standards,
                        width=len(table.headers),
                        copy=copy,
                    ),
                    duplicate=lambda row, item, first: RowError(
                        row,
                        labels["registration_id"],
                        item.key,
                        str(MSG_DUPLICATE % {"row": first}),
                    ),
                    write=writer.write,
                    progress=progress,
                    size=CHUNK,
                    pipelined=True,
                )
                if dry_run or report.error_count:
                    raise Rollback
        except Rollback:
            pass
        except CreatedMeanwhile as err:  # rolled back: nothing of this import is written
            if err.error.value:  # the key is known: name its column too
                err.error.column = labels["registration_id"]
            report.add_error(err.error)
            return report
        except ImportFileError as err:  # found mid-stream (bad bytes, a formula)
            report.file_error = list(err.messages)
            return report
    report.committed = not dry_run and report.ok
    return report
