"""Issue 17: Chinese names were shown given name first ("建华 王"). The auditor pages' header,
the reminder mail's greeting and the reminders admin name people as they write their names
(core.names.person_name): 王建华, Anna Schmidt."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from certificates.models import Certification
from reminders.digests import digest_for
from reminders.models import Reminder, ReminderKind
from tests.factories import ClientFactory, UserFactory, standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(auditor):
    auditor.first_name, auditor.last_name = "建华", "王"
    auditor.save()
    return auditor


def test_auditor_pages_header(client, wang):
    client.force_login(wang)
    html = client.get(reverse("audits:my_audits")).content.decode()
    assert "王建华" in html and "建华 王" not in html


def test_reminder_mail_greeting(wang):
    digest = digest_for(wang, [], today=datetime.date(2026, 1, 5))
    assert "王建华" in digest.body and "建华 王" not in digest.body
    anna = UserFactory(username="anna", first_name="Anna", last_name="Schmidt")
    assert "Anna Schmidt" in digest_for(anna, [], today=datetime.date(2026, 1, 5)).body


def test_reminders_admin_names_people(client, staff, wang):
    cert = Certification.objects.create(
        client=ClientFactory(), standard=standard(), scope="IT services"
    )
    Reminder.objects.create(
        kind=ReminderKind.SURVEILLANCE_DUE,
        content_type=ContentType.objects.get_for_model(Certification),
        object_id=cert.pk,
        due_date=datetime.date(2026, 1, 5),
        recipient=wang,
    )
    client.force_login(staff)
    html = client.get(reverse("admin:reminders_reminder_changelist")).content.decode()
    assert "王建华" in html
