"""Issue 17: the reminder mails linked to admin change pages. Each reminder now links to where
its work gets done in the workspace (the certification, the step it asks for, the audit, a
finding on its audit's page), in the recipient's language, on the public base URL (which
follows the port served); the last line links to the recipient's reminders. The links open
for the recipient."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import clear_url_caches

from accounts.models import UserPreference
from audits.models import Audit, Finding
from certificates.models import Certification, CertSearchUpload
from reminders.digests import digest_for, page_path
from reminders.models import Reminder, ReminderKind
from tests import lifecycle as lc
from tests.workspace.conftest import signed_in

pytestmark = pytest.mark.django_db
D = datetime.date
BASE = "https://certs.example.cn"


@pytest.fixture(autouse=True)
def _public_base(settings):
    settings.CERTBODY = {**settings.CERTBODY, "PUBLIC_BASE_URL": BASE + "/"}
    clear_url_caches()
    yield
    clear_url_caches()


def remind(subject, kind, recipient, due=D(2026, 1, 15)):
    return Reminder.objects.create(
        kind=kind,
        content_type=ContentType.objects.get_for_model(type(subject)),
        object_id=subject.pk,
        due_date=due,
        recipient=recipient,
    )


def links(body) -> list[str]:
    # A Chinese line runs into its link after a full-width colon, without a space.
    return re.findall(r"https?://\S+", body)


def test_each_reminder_links_to_its_workspace_page(people):
    cert = lc.certified(people)  # active: surveillance and suspension reminders
    _pending, audit, (major,) = lc.pending(
        people, stage1_start=D(2025, 3, 3), stage2_start=D(2025, 4, 7), findings=["major"]
    )
    rows = [
        remind(cert, ReminderKind.SURVEILLANCE_OVERDUE, people.decider),
        remind(cert, ReminderKind.SUSPENSION_PROPOSED, people.decider),
        remind(audit, ReminderKind.AUDIT_UPCOMING, people.decider),
        remind(major, ReminderKind.FINDING_PLAN_OVERDUE, people.decider),
    ]
    body = digest_for(people.decider, rows, today=D(2026, 1, 16)).body
    assert links(body) == [
        f"{BASE}/work/certifications/{cert.pk}/",
        f"{BASE}/work/certifications/{cert.pk}/do/suspend/",
        f"{BASE}/work/audits/{audit.pk}/#finding-{major.pk}",
        f"{BASE}/work/audits/{audit.pk}/",
        f"{BASE}/work/reminders/",
    ]
    assert "/admin/" not in body
    # Every link opens for the recipient, on the page that names the subject.
    browser = signed_in(people.decider)
    for url in links(body):
        page = browser.get(urlsplit(url).path)
        assert page.status_code == 200, url
    cert_page = browser.get(f"/work/certifications/{cert.pk}/").content.decode()
    assert cert.client.legal_name in cert_page
    audit_page = browser.get(f"/work/audits/{audit.pk}/").content.decode()
    assert f'id="finding-{major.pk}"' in audit_page


def test_links_in_the_recipients_language(people):
    UserPreference.objects.create(user=people.staff, language="zh-hans")
    cert = lc.apply(people)
    rows = [remind(cert, ReminderKind.SURVEILLANCE_DUE, people.staff)]
    body = digest_for(people.staff, rows, today=D(2026, 1, 16)).body
    assert links(body) == [
        f"{BASE}/zh-hans/work/certifications/{cert.pk}/",
        f"{BASE}/zh-hans/work/reminders/",
    ]
    assert "请" in body or "提醒" in body  # the mail itself is Chinese


def test_auditor_opens_their_audit(people):
    _cert, audit = lc.stage1(
        lc.accept(lc.apply(people), people, D(2024, 9, 10)), people, start=D(2024, 10, 1)
    )
    rows = [remind(audit, ReminderKind.AUDIT_UPCOMING, people.auditor)]
    (url, _mine) = links(digest_for(people.auditor, rows, today=D(2024, 9, 20)).body)
    assert url == f"{BASE}/work/audits/{audit.pk}/"
    assert signed_in(people.auditor).get(urlsplit(url).path).status_code == 200


def test_the_certsearch_upload_links_to_its_workspace_page(people):
    upload = CertSearchUpload.objects.create(month=D(2026, 12, 1))
    rows = [remind(upload, ReminderKind.CERTSEARCH_UPLOAD_DUE, people.staff, D(2026, 12, 31))]
    assert page_path(rows[0]) == f"/work/certsearch/#month-{upload.pk}"


def test_deleted_finding_falls_back_to_the_admin_path(people):
    cert, audit = lc.stage1(
        lc.accept(lc.apply(people), people, D(2024, 9, 10)), people, start=D(2024, 10, 1)
    )
    finding = Finding.objects.create(
        audit=audit, grade="minor", description="x", raised_on=D(2024, 10, 2)
    )
    reminder = remind(finding, ReminderKind.FINDING_PLAN_DUE, people.decider)
    Finding.objects.filter(pk=finding.pk).delete()
    reminder = Reminder.objects.get(pk=reminder.pk)
    assert page_path(reminder) == f"/admin/audits/finding/{finding.pk}/change/"
    assert Audit.objects.filter(pk=audit.pk).exists()
    assert Certification.objects.filter(pk=cert.pk).exists()
