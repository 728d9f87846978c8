"""Issue 6: importing from the admin: upload, preview, confirm; large files on the worker with
a progress bar."""

import dataclasses
import io

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.imports.registry import IMPORT_KINDS
from clients.imports.runner import _progress_key, job_run
from clients.models import Client, ImportJob
from tests.clients.test_import_clients import csv_bytes, row

ADD = "admin:clients_importjob_add"


def _upload(client, data, name="clients.csv", **extra):
    return client.post(
        reverse(ADD),
        {"kind": "clients", "file": SimpleUploadedFile(name, data), "encoding": "", **extra},
    )


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_upload_preview_then_confirm(staff_client, staff):
    response = _upload(staff_client, csv_bytes([row(1), row(2)], encoding="gbk"))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:clients_importjob_change", args=[job.pk])
    page = staff_client.get(response["Location"]).content.decode()
    assert "2 rows: 2 clients to create, 0 to update, 0 unchanged" in page
    assert 'name="confirm"' in page
    assert Client.objects.count() == 0  # the preview wrote nothing
    staff_client.post(response["Location"], {"confirm": "1"})
    job.refresh_from_db()
    assert (job.phase, job.status, job.report["committed"]) == ("import", "done", True)
    assert Client.objects.count() == 2
    assert "Imported." in staff_client.get(response["Location"]).content.decode()
    # Confirming again imports nothing more.
    staff_client.post(response["Location"], {"confirm": "1"})
    assert Client.objects.count() == 2


def test_a_bad_file_shows_every_problem_and_cannot_be_confirmed(staff_client):
    _upload(staff_client, csv_bytes([row(1), row(2, people="x"), row(3, email="nope")]))
    job = ImportJob.objects.get()
    page = staff_client.get(reverse("admin:clients_importjob_change", args=[job.pk]))
    html = page.content.decode()
    assert "2 problems: nothing was written." in html
    assert "<td>3</td><td>员工人数</td><td>x</td>" in html
    assert "<td>4</td><td>电子邮箱</td><td>nope</td>" in html
    assert 'name="confirm"' not in html
    staff_client.post(page.request["PATH_INFO"], {"confirm": "1"})
    assert Client.objects.count() == 0


def test_an_unreadable_file_is_a_message_not_an_error_page(staff_client):
    response = _upload(staff_client, b"%PDF-1.7 binary \x00\x01", name="scan.pdf")
    job = ImportJob.objects.get()
    page = staff_client.get(response["Location"])
    assert page.status_code == 200
    job.refresh_from_db()
    assert job.report["file_error"] and not job.report["ok"]
    assert job.report["file_error"][0] in page.content.decode()


def test_a_file_over_the_limit_is_refused_on_upload(staff_client, settings):
    settings.CERTBODY = {**settings.CERTBODY, "IMPORT_MAX_BYTES": 100}
    response = _upload(staff_client, csv_bytes([row(1), row(2)]))
    assert response.status_code == 200
    assert "the limit is" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_large_file_runs_on_the_worker_with_progress(
    staff_client, settings, django_capture_on_commit_callbacks
):
    settings.CERTBODY = {**settings.CERTBODY, "IMPORT_INLINE_MAX_BYTES": 10}
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = _upload(staff_client, csv_bytes([row(n) for n in range(1, 6)]))
    job = ImportJob.objects.get()
    assert (job.status, len(queued)) == ("queued", 1)
    # While it runs the page shows the progress and refreshes itself.
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    caches["progress"].set(_progress_key(job.pk), (2000, 5000))
    html = staff_client.get(response["Location"]).content.decode()
    assert '<progress value="2000" max="5000">' in html
    assert 'http-equiv="refresh"' in html
    assert "2000 of 5000 rows" in html
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    queued[0]()  # the worker's task (eager in tests)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.report["created"]) == ("done", 5, 5)
    assert 'http-equiv="refresh"' not in staff_client.get(response["Location"]).content.decode()
    assert job_run(job.pk) is False  # delivered twice: runs once


def test_only_staff_who_may_add_clients_import_them(client, decider, auditor):
    # Decision makers may import existing certificates (recording their grants), not clients.
    client.force_login(decider)
    assert client.get(reverse(ADD)).status_code == 200
    assert _upload(client, csv_bytes([row(1)])).status_code == 403
    assert not ImportJob.objects.exists()
    client.force_login(auditor)
    assert client.get(reverse(ADD)).status_code == 403


def test_the_task_survives_an_unexpected_error(staff, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    job = ImportJob.objects.create(
        kind="clients",
        file=SimpleUploadedFile("c.csv", csv_bytes([row(1)])),
        file_name="c.csv",
        phase="preview",
        status="queued",
        created_by=staff,
    )
    kind = IMPORT_KINDS["clients"]
    monkeypatch.setitem(IMPORT_KINDS, "clients", dataclasses.replace(kind, run=boom))
    assert job_run(job.pk) is True
    job.refresh_from_db()
    assert job.status == "failed"
    assert "nothing was written" in job.report["file_error"][0]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_admin_export_of_selected_clients_imports_back_unchanged(staff_client, fmt):
    from clients.imports.client_import import import_clients

    import_clients(io.BytesIO(csv_bytes([row(1), row(2), row(3)])))
    chosen = list(Client.objects.order_by("pk").values_list("pk", flat=True)[:2])
    response = staff_client.post(
        reverse("admin:clients_client_changelist"),
        {"action": f"export_{fmt}", "_selected_action": chosen},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    report = import_clients(io.BytesIO(response.content), dry_run=True)
    assert (report.total, report.unchanged, report.created, report.updated) == (2, 2, 0, 0)


def test_decision_makers_import_existing_certificates_through_the_same_pages(client, decider):
    from certificates.models import Certification
    from tests.certificates import test_import_certificates as certs

    certs.clients(1, 2)
    client.force_login(decider)
    data = certs.csv_bytes([certs.row(1), certs.row(2, status="暂停", next="")])
    response = client.post(
        reverse(ADD),
        {"kind": "certificates", "file": SimpleUploadedFile("certs.csv", data), "encoding": ""},
    )
    job = ImportJob.objects.get()
    assert job.report["ok"], job.report
    assert Certification.objects.filter(certificate_number__startswith="ZX-").count() == 0
    client.post(response["Location"], {"confirm": "1"})
    job.refresh_from_db()
    assert job.report["committed"]
    assert sorted(Certification.objects.values_list("state", flat=True)) == ["active", "suspended"]
