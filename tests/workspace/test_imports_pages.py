"""Imports in the workspace (workspace:imports, import_new, import_job): my recent jobs with
their status and progress, upload → preview → confirm on the admin's job machinery
(clients/imports/jobs.py), large files on the worker with a progress bar, refusals by role
(nothing stored or imported), and the link from the clients list."""

import csv
import io

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from django.urls import reverse

from clients.imports.runner import _progress_key
from clients.models import Client, ImportJob
from tests.clients.test_import_clients import csv_bytes, row

from .conftest import signed_in

pytestmark = pytest.mark.django_db

LIST = reverse("workspace:imports")
NEW = reverse("workspace:import_new")


def job_url(job):
    return reverse("workspace:import_job", args=[job.pk])


def upload(client, data, name="clients.csv", kind="clients"):
    return client.post(NEW, {"kind": kind, "file": SimpleUploadedFile(name, data), "encoding": ""})


def test_upload_preview_confirm_through_the_workspace(people):
    client = signed_in(people.staff)
    form = client.get(NEW).content.decode()
    assert 'class="dropzone"' in form and 'type="file"' in form
    assert 'value="clients"' in form and 'value="certificates"' not in form  # staff: clients only
    response = upload(client, csv_bytes([row(1), row(2)], encoding="gbk"))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    html = client.get(job_url(job)).content.decode()
    assert "2 rows: 2 clients to create, 0 to update, 0 unchanged" in html
    assert 'name="confirm"' in html
    assert Client.objects.count() == 0  # the preview wrote nothing
    response = client.post(job_url(job), {"confirm": "1"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.phase, job.status, job.report["committed"]) == ("import", "done", True)
    assert Client.objects.count() == 2
    assert "Imported." in client.get(job_url(job)).content.decode()
    client.post(job_url(job), {"confirm": "1"})  # again: nothing more
    assert Client.objects.count() == 2
    listing = client.get(LIST).content.decode()
    assert job_url(job) in listing and "clients.csv" in listing and "Imported." in listing


def test_a_file_with_problems_shows_each_and_cannot_be_imported(people):
    client = signed_in(people.staff)
    upload(client, csv_bytes([row(1), row(2, people="x"), row(3, email="nope")]))
    job = ImportJob.objects.get()
    html = client.get(job_url(job)).content.decode()
    assert "2 problems: nothing was written." in html
    assert "员工人数" in html and ">nope<" in html
    assert 'name="confirm"' not in html and "Upload a corrected file" in html
    response = client.post(job_url(job), {"confirm": "1"})
    assert response.status_code == 302
    assert (
        "Only a checked file without problems can be imported."
        in client.get(job_url(job)).content.decode()
    )
    assert Client.objects.count() == 0


def test_an_unreadable_file_is_a_message_and_a_file_over_the_limit_is_refused(people, settings):
    client = signed_in(people.staff)
    response = upload(client, b"%PDF-1.7 binary \x00\x01", name="scan.pdf")
    job = ImportJob.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200 and job.report == ImportJob.objects.get().report
    assert ImportJob.objects.get().report["file_error"][0] in page.content.decode()
    settings.CERTBODY = {**settings.CERTBODY, "IMPORT_MAX_BYTES": 100}
    response = upload(client, csv_bytes([row(1), row(2)]))
    assert response.status_code == 200 and "the limit is" in response.content.decode()
    assert ImportJob.objects.count() == 1


def test_a_large_file_runs_on_the_worker_with_progress(
    people, settings, django_capture_on_commit_callbacks
):
    settings.CERTBODY = {**settings.CERTBODY, "IMPORT_INLINE_MAX_BYTES": 10}
    client = signed_in(people.staff)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = upload(client, csv_bytes([row(n) for n in range(1, 6)]))
    job = ImportJob.objects.get()
    assert (job.status, len(queued)) == ("queued", 1)
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    caches["progress"].set(_progress_key(job.pk), (2000, 5000))
    html = client.get(response["Location"]).content.decode()
    assert '<progress value="2000" max="5000">' in html and "2000 of 5000 rows" in html
    assert 'hx-trigger="every 2s"' in html and 'http-equiv="refresh"' in html  # no-JS refresh
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and '<progress value="2000"' in partial
    assert "2000 of 5000 rows" in client.get(LIST).content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    queued[0]()  # the worker's task (eager in tests)
    html = client.get(response["Location"]).content.decode()
    assert "every 2s" not in html and 'name="confirm"' in html


def test_roles(people, outsider_staff):
    staff = signed_in(people.staff)
    upload(staff, csv_bytes([row(1)]))
    job = ImportJob.objects.get()
    # Decision makers import existing certificates, not client lists.
    decider = signed_in(people.decider)
    form = decider.get(NEW).content.decode()
    assert 'value="certificates"' in form and 'value="clients"' not in form
    assert upload(decider, csv_bytes([row(2)])).status_code == 200  # not a choice: form error
    assert decider.get(job_url(job)).status_code == 404  # a client list: not theirs to see
    assert decider.post(job_url(job), {"confirm": "1"}).status_code == 404
    assert decider.get(LIST).status_code == 200
    # Auditors: no imports at all.
    auditor = signed_in(people.auditor)
    for url in (LIST, NEW, job_url(job)):
        assert auditor.get(url).status_code == 403
    assert auditor.post(job_url(job), {"confirm": "1"}).status_code == 403
    assert upload(auditor, csv_bytes([row(3)])).status_code == 403
    # Anonymous: the login page.
    for url in (LIST, NEW, job_url(job)):
        response = Browser().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert Browser().post(job_url(job), {"confirm": "1"}).status_code == 302
    job.refresh_from_db()
    assert (ImportJob.objects.count(), job.phase, Client.objects.count()) == (1, "preview", 0)
    # Another staff member sees the job (as in the admin) but lists only their own.
    other = signed_in(outsider_staff)
    assert other.get(job_url(job)).status_code == 200
    assert job_url(job) not in other.get(LIST).content.decode()


@pytest.fixture
def outsider_staff(db):
    from tests.factories import UserFactory

    return UserFactory(role="CB staff", username="staff2")


def test_the_list_pages_and_exports(people):
    client = signed_in(people.staff)
    upload(client, csv_bytes([row(1)]), name="first.csv")
    upload(client, csv_bytes([row(2)]), name="second.csv")
    html = client.get(LIST).content.decode()
    assert html.index("second.csv") < html.index("first.csv")  # newest first
    assert client.get(LIST, {"page": "abc"}).status_code == 200
    response = client.get(LIST, {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[2] for r in rows[1:]] == ["second.csv", "first.csv"]
    assert client.get(LIST, {"format": "xlsx"}).status_code == 200


def test_the_clients_list_links_to_imports_for_staff(people):
    html = signed_in(people.staff).get(reverse("workspace:clients")).content.decode()
    assert LIST in html
    html = signed_in(people.decider).get(reverse("workspace:clients")).content.decode()
    assert LIST not in html
