"""Review fixes (issue 17, FIX): application document uploads have a size limit and a list of
accepted types, checked by the service before anything is stored, with a message naming the
file; a save that fails leaves no file behind."""

import datetime
import pathlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from certificates.errors import CertificationError
from certificates.services.applications import application_record_documents
from clients.models import ApplicationDocument
from tests.factories import standard

from .test_application_pages import ITSM, checklist_pks, docs_url, submitted

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_files(root: pathlib.Path) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_file_over_the_limit_is_refused_naming_it(people, as_staff, settings, media):
    settings.CERTBODY = {**settings.CERTBODY, "APPLICATION_DOCUMENT_MAX_BYTES": 100}
    application, _cert = submitted(people)
    first, second = checklist_pks()[:2]
    small = SimpleUploadedFile("licence.pdf", b"%PDF-1.4 small", "application/pdf")
    big = SimpleUploadedFile("manual.pdf", b"x" * 101, "application/pdf")
    response = as_staff.post(
        docs_url(application), {"on": "2026-01-12", f"file_{first}": small, f"file_{second}": big}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "“manual.pdf” is 101 bytes: an application document may be at most 100 bytes" in text
    assert not application.documents.exists()  # all or nothing
    assert stored_files(media) == []


def test_a_file_of_another_type_is_refused(people, as_staff, media):
    application, _cert = submitted(people)
    first = checklist_pks()[0]
    script = SimpleUploadedFile("licence.exe", b"MZ", "application/octet-stream")
    response = as_staff.post(docs_url(application), {"on": "2026-01-12", f"file_{first}": script})
    assert response.status_code == 200
    assert "“licence.exe” is not a document type accepted" in response.content.decode()
    assert not application.documents.exists()
    assert stored_files(media) == []


def test_accepted_types_and_the_default_limit(people, settings):
    assert settings.CERTBODY["APPLICATION_DOCUMENT_MAX_BYTES"] == 20 * 1024 * 1024
    application, _cert = submitted(people)
    pks = checklist_pks()
    names = ["a.PDF", "b.docx", "c.jpg"]
    saved = application_record_documents(
        application=application,
        by=people.staff,
        files={pk: SimpleUploadedFile(n, b"x") for pk, n in zip(pks, names, strict=False)},
    )
    assert len(saved) == 3


def test_no_file_is_left_when_the_save_fails_midway(people, media, monkeypatch):
    application, _cert = submitted(people)
    pks = checklist_pks(standard(ITSM))[:2]
    real_save = ApplicationDocument.save
    calls = []

    def failing_save(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 2:
            raise IntegrityError("one_document_per_item")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ApplicationDocument, "save", failing_save)
    with pytest.raises(IntegrityError):
        application_record_documents(
            application=application,
            by=people.staff,
            files={pk: SimpleUploadedFile(f"{pk}.pdf", b"%PDF") for pk in pks},
        )
    assert len(calls) == 2  # the first was stored, then removed
    assert stored_files(media) == []
    assert not application.documents.exists()


def test_refusal_raised_by_the_service_itself(people):
    application, _cert = submitted(people)
    with pytest.raises(CertificationError, match="not a document type accepted"):
        application_record_documents(
            application=application,
            by=people.staff,
            files={checklist_pks()[0]: SimpleUploadedFile("x.html", b"<html>")},
        )
