"""Every write to a certification leaves a history row (issue 16, item 4): whoever changes one,
through the services, the admin, an import or the demo seeding, the certification's history
(django-fsm-log's StateLog) says who, when, from, to and why, and a changed certification's
revision moves on (services/common.py: the conflict check). Bulk writes keep both promises
through one service, certificates/bulk.py.

The check is generic: before and after each step, every certification's recorded values (all
its fields but the revision) and its history rows are read; a certification the step created
or changed must have new history rows, and one it changed a higher revision."""

import datetime
import io
from contextlib import contextmanager
from dataclasses import dataclass
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import RequestFactory
from django_fsm_log.models import StateLog

from certificates import services as svc
from certificates.bulk import OPENED, UPDATED, certifications_create, certifications_update
from certificates.imports.certificate_import import import_certificates
from certificates.models import Certification, State
from clients.imports.client_import import import_clients
from tests import lifecycle as lc
from tests.certificates import test_import_certificates as certificate_files
from tests.clients.test_import_clients import csv_bytes, row
from tests.factories import ClientFactory, UserFactory, standard

D = datetime.date
pytestmark = pytest.mark.django_db

IMPORTED = "Imported from a client list."
AT = datetime.datetime(2024, 5, 6, 7, 8, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Seen:
    values: tuple  # every field but the revision
    revision: int
    history: int  # StateLog rows


def _seen() -> dict[int, Seen]:
    fields = [f.attname for f in Certification._meta.concrete_fields if f.name != "revision"]
    history = dict(
        StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Certification))
        .values_list("object_id")
        .annotate(n=Count("pk"))
    )
    return {
        row[0]: Seen(values=row[1:-1], revision=row[-1], history=history.get(row[0], 0))
        for row in Certification.objects.values_list("pk", *fields, "revision")
    }


@contextmanager
def leaves_history(*, writes=True):
    """The block's writes to certifications each leave a history row (see the module). With
    ``writes``, the block must write at least one certification (so the check bites)."""
    before = _seen()
    yield
    after = _seen()
    written = [
        pk for pk, now in after.items() if pk not in before or now.values != before[pk].values
    ]
    if writes:
        assert written, "the step wrote no certification"
    for pk in written:
        old = before.get(pk)
        assert after[pk].history > (old.history if old else 0), f"certification {pk}: no history"
        if old is not None:
            assert after[pk].revision > old.revision, f"certification {pk}: same revision"


def last_log(cert) -> tuple:
    return (
        StateLog.objects.for_(cert)
        .order_by("pk")
        .values_list("source_state", "state", "transition", "by__username", "description")
        .last()
    )


# -- the services: every transition, and what is not one -------------------------------------
def test_the_lifecycle_through_the_services(people):
    s, d = people.staff, people.decider
    with leaves_history():
        cert = lc.apply(people, received_on=D(2024, 9, 1))
    assert last_log(cert)[:3] == (None, "applied", OPENED)
    with leaves_history():
        svc.certification_start_review(certification=cert, by=s, on=D(2024, 9, 5))
    cert.refresh_from_db()
    with leaves_history():
        svc.certification_accept(certification=cert, by=s, on=D(2024, 9, 10))
    with leaves_history():
        cert, _ = lc.stage1(cert, people, start=D(2024, 10, 1))
    with leaves_history():
        cert, _, _ = lc.stage2(cert, people, start=D(2024, 12, 16))
    with leaves_history():
        svc.certification_grant(certification=cert, by=d, on=D(2025, 1, 15))
    cert.refresh_from_db()
    with leaves_history():  # the closed surveillance moves the next due date on
        lc.surveillance(cert, people, start=D(2025, 11, 10))
    with leaves_history():
        svc.certification_suspend(certification=cert, reason="Missed", by=d, on=D(2026, 3, 1))
    cert.refresh_from_db()
    with leaves_history():
        svc.certification_lift_suspension(certification=cert, reason="Done", by=d, on=D(2026, 4, 1))
    cert.refresh_from_db()
    with leaves_history():
        svc.certification_reduce_scope(
            certification=cert, scope="Less", reason="Asked", by=d, on=D(2026, 5, 1)
        )
    cert.refresh_from_db()
    with leaves_history():
        svc.certification_withdraw(certification=cert, reason="Asked", by=d, on=D(2026, 6, 1))


def test_refusal_rejection_expiry_and_restoration(people):
    d = people.decider
    with leaves_history():
        rejected = lc.build(people, State.REJECTED)
    with leaves_history():
        refused = lc.build(people, State.REFUSED)
    cert = lc.certified(people, decided_on=D(2025, 3, 17))  # its auditors free after the above
    with leaves_history():
        svc.expire_due_certifications(on=D(2028, 3, 17))
    cert.refresh_from_db()
    lc.recert_audit(cert, people, start=D(2028, 4, 3))
    with leaves_history():
        svc.certification_restore_after_expiry(certification=cert, by=d, on=D(2028, 4, 10))
    assert {rejected.pk, refused.pk, cert.pk} <= set(_seen())


def test_designating_the_decision_maker_in_the_admin(people):
    """The one field the certification's change form edits."""
    cert = lc.apply(people, received_on=D(2024, 9, 1))
    model_admin = admin.site._registry[Certification]
    request = RequestFactory().post("/")
    request.user = UserFactory(username="head", is_superuser=True, is_staff=True)
    form = model_admin.get_form(request, cert, change=True)(
        data={"decision_maker": people.decider.pk}, instance=cert
    )
    assert form.is_valid(), form.errors
    with leaves_history():
        model_admin.save_model(request, form.save(commit=False), form, change=True)
    assert last_log(cert)[:2] == ("applied", "applied")


def test_a_scope_extension(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with leaves_history():
        lc.extend_scope(
            certification=cert, scope="More", reason="Verified", by=people.decider, on=D(2025, 3, 3)
        )
    assert last_log(cert)[2] == "extend_scope"


# -- imports ------------------------------------------------------------------------------------
def test_a_client_list_opens_and_changes_certifications_with_their_history(staff):
    """New certifications (one bulk insert of them and one of their history rows), then the
    scope of those still in review changed by a second file: revision + 1 and a row each."""
    with leaves_history():
        report = import_clients(io.BytesIO(csv_bytes([row(1), row(2)])), by=staff)
    assert report.committed and report.applications_created == 2
    for cert in Certification.objects.all():
        assert last_log(cert) == (None, "applied", OPENED, staff.username, IMPORTED)
        assert cert.revision == 0  # as application_submit leaves a new one
    with leaves_history():
        report = import_clients(io.BytesIO(csv_bytes([row(1, scope="新范围"), row(2)])))
    assert report.applications_updated == 1
    changed = Certification.objects.get(scope="新范围")
    assert last_log(changed) == ("applied", "applied", UPDATED, None, IMPORTED)
    assert changed.revision == 1
    with leaves_history(writes=False):  # the same file again changes nothing
        report = import_clients(io.BytesIO(csv_bytes([row(1, scope="新范围"), row(2)])))
    assert report.committed and (report.applications_created, report.applications_updated) == (
        0,
        0,
    )


def test_an_import_of_existing_certificates(decider):
    certificate_files.clients(1, 2)
    rows = [certificate_files.row(1), certificate_files.row(2, status="暂停")]
    with leaves_history():
        report = import_certificates(
            io.BytesIO(certificate_files.csv_bytes(rows)), by=decider, on=certificate_files.ON
        )
    assert report.committed and report.created == 2
    for cert in Certification.objects.all():
        assert last_log(cert)[2] == "import_existing"


# -- the bulk service itself -------------------------------------------------------------------
def test_bulk_create_finds_the_pks_a_database_does_not_return(db, monkeypatch):
    # A property on some backends: patched on the class.
    monkeypatch.setattr(
        type(connection.features), "can_return_rows_from_bulk_insert", False, raising=False
    )
    certs = [Certification(client=ClientFactory(), standard=standard(), scope="S") for _ in "ab"]
    with leaves_history():
        certifications_create(certs, description="Seeded", at=lambda c: AT)
    for cert in certs:
        assert cert.pk is not None and not cert._state.adding
        assert last_log(cert) == (None, "applied", OPENED, None, "Seeded")
        assert StateLog.objects.for_(cert).get().timestamp == AT


def test_bulk_update_moves_the_revision_on_in_the_database(people):
    cert = lc.apply(people, received_on=D(2024, 9, 1))
    Certification.objects.filter(pk=cert.pk).update(revision=5)  # a service changed it meanwhile
    cert.scope = "Changed"
    with leaves_history():
        certifications_update([cert], ["scope"], by=people.staff, transition="fix", description="x")
    assert Certification.objects.get(pk=cert.pk).revision == 6  # not the 1 of the stale copy
    assert last_log(cert) == ("applied", "applied", "fix", "staff", "x")
    with pytest.raises(ValueError):
        certifications_update([cert], ["state"], transition="fix")


# -- the demo --------------------------------------------------------------------------------------
def test_the_demo_seeding(db):
    """Walked clients go through the services; the bulk ones through certificates/bulk.py."""
    with leaves_history():
        call_command(
            "seed_demo", "--clients=12", "--walk=4", "--today=2025-06-30", stdout=StringIO()
        )
    assert Certification.objects.count() >= 12
