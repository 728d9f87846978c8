"""The monthly IAF CertSearch upload in the workspace (workspace:certsearch): the months with
their export and upload status, the month's files to download, a fresh export, and "mark
uploaded" (the admin's CertSearchUploadForm and certsearch_record_upload), for staff who manage
certifications; refused for the others with nothing changed. The upload reminders link here."""

import datetime
import io
import re
import zipfile

import pytest
from django.urls import reverse

from certificates.certsearch_delivery import certsearch_export_monthly
from certificates.models import CertSearchUpload
from reminders.digests import page_path
from reminders.models import ReminderKind
from tests.certificates.test_certsearch import certbody, issued
from tests.factories import UserFactory
from tests.test_reminders_mail_links import remind

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date
PAGE = "/work/certsearch/"


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def uploaded_url(upload):
    return reverse("workspace:certsearch_uploaded", args=[upload.pk])


def files_url(upload):
    return reverse("workspace:certsearch_files", args=[upload.pk])


@pytest.fixture
def months(staff):
    done = CertSearchUpload.objects.create(
        month=D(2026, 10, 1),
        uploaded_at=datetime.datetime(2026, 10, 20, 2, 0, tzinfo=datetime.UTC),
        uploaded_by=staff,
    )
    late = CertSearchUpload.objects.create(month=D(2026, 11, 1))
    current = CertSearchUpload.objects.create(month=D(2026, 12, 1))
    return done, late, current


def test_the_page_lists_the_months_with_their_status(staff, months):
    staff.first_name, staff.last_name = "丽", "李"
    staff.save()
    assert reverse("workspace:certsearch") == PAGE
    response = signed_in(staff).get(PAGE)
    assert response.status_code == 200
    body = text(response)
    assert body.index("2026-12") < body.index("2026-11") < body.index("2026-10")
    assert "uploaded 2026-10-20 10:00 · 李丽" in body  # local time, family name first
    assert "overdue" in body  # 2026-11 (today is past 2026-11-30 in these tests' clock)
    assert "not exported yet" in body
    html = response.content.decode()
    assert html.count('name="uploaded"') == 2  # the months not uploaded yet
    assert 'href="/work/certsearch/"' in html  # the nav link for staff


def test_mark_uploaded(staff, months):
    _done, late, _current = months
    client = signed_in(staff)
    response = client.post(uploaded_url(late), {"uploaded": "on"})
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}#month-{late.pk}"
    late.refresh_from_db()
    assert late.uploaded_by == staff and late.uploaded_at is not None
    assert "2026-11 recorded as uploaded to IAF CertSearch." in text(client.get(PAGE))
    # Again: nothing changes, said so.
    at = late.uploaded_at
    client.post(uploaded_url(late), {"uploaded": "on"})
    late.refresh_from_db()
    assert late.uploaded_at == at
    assert "was already recorded as uploaded: nothing changed." in text(client.get(PAGE))


def test_mark_uploaded_without_the_tick_changes_nothing(staff, months):
    _done, late, _current = months
    client = signed_in(staff)
    response = client.post(uploaded_url(late), {}, follow=True)
    assert "Nothing was recorded for 2026-11" in text(response)
    late.refresh_from_db()
    assert late.uploaded_at is None
    assert client.post(reverse("workspace:certsearch_uploaded", args=[99999])).status_code == 404


@pytest.mark.parametrize("role", ["decider", "auditor", "no group"])
def test_others_are_refused_and_nothing_changes(people, months, role):
    _done, late, _current = months
    user = UserFactory(username="nobody") if role == "no group" else getattr(people, role)
    client = signed_in(user)
    assert client.get(PAGE).status_code == 403
    assert client.get(files_url(late)).status_code == 403
    assert client.get(reverse("workspace:certsearch_export")).status_code == 403
    assert client.post(uploaded_url(late), {"uploaded": "on"}).status_code == 403
    late.refresh_from_db()
    assert late.uploaded_at is None
    page = signed_in(user).get("/work/") if role != "no group" else None
    if page is not None:
        assert 'href="/work/certsearch/"' not in page.content.decode()


def test_anonymous_go_to_login(client, months):
    _done, late, _current = months
    for response in (client.get(PAGE), client.post(uploaded_url(late), {"uploaded": "on"})):
        assert response.status_code == 302 and "/login/" in response["Location"]
    late.refresh_from_db()
    assert late.uploaded_at is None


def test_download_the_months_files(staff, tmp_path):
    issued(4)
    with certbody(CERTSEARCH_EXPORT_DIR=str(tmp_path), CERTSEARCH_MAX_ROWS=3):
        certsearch_export_monthly(on=D(2026, 12, 1))
    upload = CertSearchUpload.objects.get(month=D(2026, 12, 1))
    client = signed_in(staff)
    body = text(client.get(PAGE))
    assert "certsearch-2026-12-01-001.xlsx: 3 rows" in body
    assert "Download the files (.zip)" in body
    response = client.get(files_url(upload))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == [
        "certsearch-2026-12-01-001.xlsx",
        "certsearch-2026-12-01-002.xlsx",
    ]
    # Files gone from the server: said so, with the way out.
    for path in (tmp_path / "2026-12").iterdir():
        path.unlink()
    response = client.get(files_url(upload), follow=True)
    assert "are no longer on the server: download a fresh export instead." in text(response)


def test_a_fresh_export(staff):
    client = signed_in(staff)
    response = client.get(reverse("workspace:certsearch_export"), follow=True)
    assert "Nothing to export" in text(response)
    issued(2)
    response = client.get(reverse("workspace:certsearch_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="certsearch-')


def test_the_upload_reminders_link_here(staff, months):
    _done, late, _current = months
    reminder = remind(late, ReminderKind.CERTSEARCH_UPLOAD_OVERDUE, staff, D(2026, 11, 30))
    assert page_path(reminder) == f"{PAGE}#month-{late.pk}"
    page = signed_in(staff).get("/work/reminders/")
    assert f"{PAGE}#month-{late.pk}" in page.content.decode()


def test_the_page_reads_a_fixed_number_of_queries(staff, months, django_assert_max_num_queries):
    client = signed_in(staff)
    client.get(PAGE)  # sessions, permissions cached
    with django_assert_max_num_queries(12):
        client.get(PAGE)
    for year in range(2020, 2026):
        for month in range(1, 13):
            CertSearchUpload.objects.create(month=D(year, month, 1))
    with django_assert_max_num_queries(12):
        response = client.get(PAGE)
    # One page of 24 months, 2026-10 among them recorded as uploaded.
    assert response.content.decode().count('name="uploaded"') == 23


def test_the_page_warns_what_to_set_before_the_upload(staff):
    (cert,) = issued(1)
    with certbody(ACCREDITATION=""):
        page = text(signed_in(staff).get(PAGE))
    assert "Before you upload" in page
    assert "CERTBODY_ACCREDITATION is not set" in page
    assert "“Unaccredited”" in page
    assert f"No Scheme Name is set for {cert.standard}" in page
    cert.standard.scheme_name = "Information Technology Service Management Systems"
    cert.standard.save()
    with certbody(ACCREDITATION="CNAS C999-M"):
        page = text(signed_in(staff).get(PAGE))
    assert "Before you upload" not in page
