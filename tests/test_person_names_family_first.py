"""Issue 17: Chinese names were shown given name first ("建华 王"). The auditor pages' header,
the reminder mail's greeting and the reminders admin name people as they write their names
(core.names.person_name): 王建华, Anna Schmidt."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from audits.forms import TeamForm, unavailability_problems
from audits.models import Booking, BookingKind
from certificates.models import Certification, Decision, DecisionOutcome
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


# -- POLISH: the audits app, its admin and the user admin name people as they write it ----------


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True)


def test_auditor_profile_and_booking_say_the_name(wang):
    assert str(wang.auditor_profile) == "王建华"
    booking = Booking.objects.create(
        auditor=wang,
        kind=BookingKind.LEAVE,
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 4),
    )
    assert str(booking).startswith("王建华 2026-03-02")


def test_overlap_messages_name_the_person(wang):
    Booking.objects.create(
        auditor=wang,
        kind=BookingKind.LEAVE,
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 4),
    )
    (problem,) = unavailability_problems(wang, datetime.date(2026, 3, 3), datetime.date(2026, 3, 5))
    assert str(problem).startswith("王建华 ") and "建华 王" not in str(problem)


def test_team_form_offers_people_by_name(wang):
    form = TeamForm()
    labels = [label for _value, label in form.fields["team_leader"].choices]
    assert "王建华" in labels and "建华 王" not in labels


def test_admin_lists_and_pickers_name_people(client, root, wang):
    Booking.objects.create(
        auditor=wang,
        kind=BookingKind.LEAVE,
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 4),
    )
    client.force_login(root)
    for url in (
        reverse("admin:audits_booking_changelist"),
        reverse("admin:audits_unavailability_changelist"),
        reverse("admin:audits_unavailability_add"),  # the auditor picker
        reverse("admin:audits_auditorprofile_changelist"),
        reverse("admin:auth_user_changelist"),  # one "name" column, family name first
    ):
        html = client.get(url).content.decode()
        assert "王建华" in html, url
        assert "建华 王" not in html, url
    # The profile's user picker: the name, with the user name telling namesakes apart.
    html = client.get(reverse("admin:audits_auditorprofile_add")).content.decode()
    assert f"王建华 ({wang.username})" in html


def test_decision_admin_names_the_decision_maker(client, root, people):
    people.decider.first_name, people.decider.last_name = "丽", "李"
    people.decider.save()
    cert = Certification.objects.create(
        client=ClientFactory(), standard=standard(), scope="IT services"
    )
    Decision.objects.create(
        certification=cert,
        outcome=DecisionOutcome.REFUSE,
        decided_on=datetime.date(2026, 1, 5),
        decided_by=people.decider,
        reason="not ready",
    )
    client.force_login(root)
    html = client.get(reverse("admin:certificates_decision_changelist")).content.decode()
    assert "李丽" in html and "丽 李" not in html


def test_admin_welcomes_by_the_whole_name(client, root):
    # Django greets with the given name only ("Welcome, 建华"): a Chinese name is said whole.
    root.first_name, root.last_name = "建华", "王"
    root.save()
    client.force_login(root)
    html = client.get(reverse("admin:index")).content.decode()
    # In its own lang on an English page (WCAG 2.1 SC 3.1.2, core/languages.py).
    assert '<strong><span lang="zh-Hans">王建华</span></strong>' in html
