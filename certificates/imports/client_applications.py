"""The certifications side of a client list (clients/imports/client_import.py): a row naming a
standard is the client's application for certification to it.

Registered at ready() as the client import's application step (clients/imports/registry.py),
and called with each chunk's rows naming a standard once their clients are written:

- the client has no certification to that standard: its application is created (with the
  standard) and its certification opened in "applied", like application_submit;
- it has one still in application review ("applied", "under review"): the application's scope,
  personnel and date are updated, and the certification's scope;
- any later state: left as it is (counted as "kept": the lifecycle moves on from the admin,
  not from a spreadsheet).

The certifications go through the bulk service (certificates/bulk.py): opened ones and changed
ones each leave a history row, and a changed one's revision moves on. A fixed number of
queries per chunk.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Application
from core.notes import Note
from infra.tabular.pgbulk import bulk_update

from ..bulk import certifications_create, certifications_update
from ..models import Certification, State

BATCH = 2000
# States in which the application can still change (review not finished).
APPLICATION_OPEN = (State.APPLIED, State.UNDER_REVIEW)
# The history rows' description: stored in English, shown in the reader's language.
NOTE_IMPORTED = Note(gettext_lazy("Imported from a client list."))


class ClientListApplications:
    """The application step of one client import (see the module)."""

    def __init__(self, report, *, received_on: datetime.date, by=None):
        self.report = report
        self.received_on = received_on
        self.by = by

    def write(self, rows) -> None:
        """``rows``: (row, client pk, whether the client existed before this chunk) of each row
        of the chunk naming a standard."""
        certifications = self._certifications(rows)
        new_apps, changed_apps, changed_certs = [], [], []
        for r, client_id, _existed in rows:
            cert = certifications.get((client_id, r.standard.pk))
            if cert is None:
                new_apps.append((r, client_id))
            elif cert.state in APPLICATION_OPEN and cert.application is not None:
                app = cert.application
                # An empty 体系运行日期 cell keeps the date already recorded (a partial sheet
                # must not erase what staff entered).
                since = r.system_operating_since or app.system_operating_since
                values = (r.scope, r.effective_personnel, since)
                current = (app.scope, app.effective_personnel, app.system_operating_since)
                if values != current or cert.scope != r.scope:
                    app.scope, app.effective_personnel, app.system_operating_since = values
                    cert.scope = r.scope
                    changed_apps.append(app)
                    changed_certs.append(cert)
                # else unchanged: counted with the client
            else:
                self.report.applications_kept += 1
        self._open(new_apps)
        bulk_update(
            Application, changed_apps, ["scope", "effective_personnel", "system_operating_since"]
        )
        certifications_update(
            changed_certs, ["scope"], by=self.by, description=NOTE_IMPORTED.text()
        )
        self.report.applications_created += len(new_apps)
        self.report.applications_updated += len(changed_apps)

    @staticmethod
    def _certifications(rows) -> dict[tuple[int, int], Certification]:
        """(client pk, standard pk) -> the certification, with its application: one query, for
        the clients that existed before the chunk (a new one has none)."""
        wanted = [(client_id, r.standard.pk) for r, client_id, existed in rows if existed]
        if not wanted:
            return {}
        return {
            (cert.client_id, cert.standard_id): cert
            for cert in Certification.objects.filter(
                client_id__in={c for c, _s in wanted}, standard_id__in={s for _c, s in wanted}
            ).select_related("application")
        }

    def _open(self, new_apps) -> None:
        """A new application per row, with its standard, and its certification in "applied"."""
        note = _("Imported from a client list.")
        applications = Application.objects.bulk_create(
            [
                Application(
                    client_id=client_id,
                    received_on=self.received_on,
                    scope=r.scope,
                    effective_personnel=r.effective_personnel,
                    system_operating_since=r.system_operating_since,
                    notes=note,
                )
                for r, client_id in new_apps
            ],
            batch_size=BATCH,
        )
        Through = Application.standards.through
        Through.objects.bulk_create(
            [
                Through(application_id=app.pk, standard_id=r.standard.pk)
                for app, (r, _client_id) in zip(applications, new_apps, strict=True)
            ],
            batch_size=BATCH,
        )
        certifications_create(
            [
                Certification(
                    client_id=client_id, standard=r.standard, application=app, scope=r.scope
                )
                for app, (r, client_id) in zip(applications, new_apps, strict=True)
            ],
            by=self.by,
            description=NOTE_IMPORTED.text(),
            batch_size=BATCH,
        )
