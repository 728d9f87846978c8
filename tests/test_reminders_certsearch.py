"""Issue 5: the monthly IAF CertSearch upload (IAF MD 28) is chased until staff record it.

December 2026 ends on the 31st: the upload is due by 2026-12-31, reminded on the month's
first day (lead 30 days) and again 7 days before (2026-12-24, not 2026-12-23); not recorded by
the 31st, it is overdue on 2027-01-01 (not on 2026-12-31).
"""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from certificates.certsearch_delivery import certsearch_record_upload
from certificates.models import CertSearchUpload
from certificates.reminders import scan_certsearch
from reminders.models import Reminder, ReminderKind
from reminders.sending import send_due_reminders

D = datetime.date
DEC = D(2026, 12, 1)
DUE = D(2026, 12, 31)


def _scan(day):
    return scan_certsearch(today=day).created


def _rows():
    return sorted(
        Reminder.objects.values_list("kind", "due_date", "lead_days", "recipient__username")
    )


def test_due_on_the_first_day_and_seven_days_before_the_months_end(people):
    assert _scan(DEC) == {"certsearch_upload_due": 1, "certsearch_upload_overdue": 0}
    upload = CertSearchUpload.objects.get()
    assert (upload.month, upload.due_date, upload.exported_at) == (DEC, DUE, None)
    # Only staff who manage certifications (they upload), not the decision makers.
    assert _rows() == [(ReminderKind.CERTSEARCH_UPLOAD_DUE, DUE, 30, "staff")]
    for day in range(2, 24):  # nothing new until the late reminder's day
        assert sum(_scan(D(2026, 12, day)).values()) == 0
    assert _scan(D(2026, 12, 24))["certsearch_upload_due"] == 1
    assert _rows() == [
        (ReminderKind.CERTSEARCH_UPLOAD_DUE, DUE, 7, "staff"),
        (ReminderKind.CERTSEARCH_UPLOAD_DUE, DUE, 30, "staff"),
    ]
    assert sum(_scan(DUE).values()) == 0
    assert Reminder.objects.get(lead_days=7).object_id == upload.pk


def test_a_missed_first_day_catches_up(people):
    _scan(D(2026, 12, 5))
    assert _rows() == [(ReminderKind.CERTSEARCH_UPLOAD_DUE, DUE, 30, "staff")]


def test_overdue_the_day_after_the_month_ends_until_recorded(people):
    _scan(DEC)
    _scan(DUE)
    assert not Reminder.objects.filter(kind=ReminderKind.CERTSEARCH_UPLOAD_OVERDUE).exists()
    created = _scan(D(2027, 1, 1))
    # January's upload is due, December's overdue.
    assert created == {"certsearch_upload_due": 1, "certsearch_upload_overdue": 1}
    overdue = Reminder.objects.get(kind=ReminderKind.CERTSEARCH_UPLOAD_OVERDUE)
    assert (overdue.due_date, overdue.object_id) == (
        DUE,
        CertSearchUpload.objects.get(month=DEC).pk,
    )
    assert sum(_scan(D(2027, 1, 2)).values()) == 0


def test_recording_the_upload_stops_the_reminders(people):
    _scan(DEC)
    recorded = certsearch_record_upload(uploads=CertSearchUpload.objects.all(), by=people.staff)
    assert recorded == 1
    assert certsearch_record_upload(uploads=CertSearchUpload.objects.all(), by=people.decider) == 0
    assert CertSearchUpload.objects.get().uploaded_by == people.staff
    assert sum(_scan(D(2026, 12, 24)).values()) == 0
    assert _scan(D(2027, 1, 1)) == {"certsearch_upload_due": 1, "certsearch_upload_overdue": 0}


def test_digest_line_links_to_the_months_record(people):
    _scan(DEC)
    send_due_reminders(today=DEC)
    (message,) = mail.outbox
    upload = CertSearchUpload.objects.get()
    assert "IAF CertSearch upload 2026-12" in message.body
    assert "Upload this month's export to IAF CertSearch by 2026-12-31" in message.body
    # The workspace's CertSearch page, where the month is downloaded and marked uploaded.
    assert f"/work/certsearch/#month-{upload.pk}" in message.body


def test_staff_record_the_upload_in_the_admin(client, people):
    _scan(DEC)
    upload = CertSearchUpload.objects.get()
    url = reverse("admin:certificates_certsearchupload_change", args=[upload.pk])
    client.force_login(people.decider)  # cannot manage certifications
    assert client.get(url).status_code == 403
    client.force_login(people.staff)
    page = client.get(url)
    assert page.status_code == 200
    assert "Uploaded to IAF CertSearch" in page.content.decode()
    response = client.post(url, {"uploaded": "on"})
    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.uploaded_by == people.staff and upload.uploaded_at is not None
    listing = client.get(reverse("admin:certificates_certsearchupload_changelist"))
    assert "2026-12" in listing.content.decode()


@pytest.mark.parametrize("day", [D(2026, 2, 1), D(2026, 2, 21), D(2026, 2, 22)])
def test_a_short_month(people, day):
    # February 2026 ends on the 28th: the 7-day reminder fires on the 21st.
    _scan(day)
    (lead,) = Reminder.objects.values_list("lead_days", flat=True)
    assert lead == (27 if day < D(2026, 2, 21) else 7)
