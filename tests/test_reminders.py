"""Reminders (issue 5), first concern: surveillance due and overdue.

A certification granted on 2025-01-15 has its first surveillance due on 2026-01-15 (12
months after the decision, ISO/IEC 17021-1 9.6.2). With a 30-day lead time the due reminder
fires on 2025-12-16 and not the day before; the overdue reminder on 2026-01-16 and not on
2026-01-15 (grace 0). Each reminder is one row and one mail per recipient, however often or
concurrently the scan and the sender run.
"""

import datetime
import io
import smtplib
import threading

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches, reverse
from django.utils import translation

from certbody.celery import app as celery_app
from certificates.reminders import scan_surveillance
from reminders.models import Reminder, ReminderKind
from reminders.registry import reminder_scan, scan_all, scans
from reminders.sending import send_due_reminders
from reminders.tasks import enqueue_send, scan_reminders, send_reminders
from tests import lifecycle as lc
from tests.factories import UserFactory

# Other kinds' tests: the monthly CertSearch upload is recorded (see conftest.py).
pytestmark = pytest.mark.usefixtures("certsearch_uploaded")

D = datetime.date
GRANTED = D(2025, 1, 15)
DUE = D(2026, 1, 15)
TIMEOUT = 15


@pytest.fixture
def policy(settings):
    """Set CERTBODY policy values for one test."""

    def set_(**values):
        settings.CERTBODY = {**settings.CERTBODY, **values}

    return set_


@pytest.fixture
def cert(db, people):
    return lc.certified(people, decided_on=GRANTED)


def _rows(**filters):
    return list(
        Reminder.objects.filter(**filters)
        .order_by("kind", "recipient__username")
        .values_list("kind", "object_id", "due_date", "recipient__username")
    )


def test_surveillance_is_due_twelve_months_after_the_decision(cert):
    assert cert.next_surveillance_due == DUE


def test_due_reminder_fires_on_the_lead_day_and_not_the_day_before(cert, people, policy):
    policy(REMINDER_SURVEILLANCE_DUE_DAYS=[30])
    scan_surveillance(today=D(2025, 12, 15))
    assert _rows() == []
    result = scan_surveillance(today=D(2025, 12, 16))
    # Only staff who manage certifications hear about a surveillance coming up.
    assert _rows() == [(ReminderKind.SURVEILLANCE_DUE, cert.pk, DUE, "staff")]
    assert Reminder.objects.get().lead_days == 30
    assert result.created == {
        "surveillance_due": 1,
        "surveillance_overdue": 0,
        "suspension_proposed": 0,
    }


def test_each_default_lead_time_fires_once_on_its_day(cert):
    days = [DUE - datetime.timedelta(days=n) for n in (90, 30, 7)]
    assert days == [D(2025, 10, 17), D(2025, 12, 16), D(2026, 1, 8)]
    fired = {}
    day = D(2025, 9, 1)
    while day <= DUE:  # the daily scan, every day up to the due date
        if scan_surveillance(today=day).created["surveillance_due"]:
            fired[day] = Reminder.objects.order_by("-pk").first().lead_days
        day += datetime.timedelta(days=1)
    assert fired == {D(2025, 10, 17): 90, D(2025, 12, 16): 30, D(2026, 1, 8): 7}
    scan_surveillance(today=D(2026, 1, 8))  # again: nothing new
    assert sorted(Reminder.objects.values_list("lead_days", "due_date", "recipient__username")) == [
        (7, DUE, "staff"),
        (30, DUE, "staff"),
        (90, DUE, "staff"),
    ]


def test_a_missed_daily_run_catches_up_with_the_lead_time_reached(cert):
    # No scan ran between 2025-12-14 and 2025-12-19: the 30-day reminder comes on the 20th.
    scan_surveillance(today=D(2025, 12, 20))
    assert list(Reminder.objects.values_list("lead_days", "due_date")) == [(30, DUE)]
    scan_surveillance(today=D(2025, 12, 21))
    assert Reminder.objects.count() == 1


def test_overdue_fires_the_day_after_the_due_date_and_proposes_suspension(cert):
    overdue = [ReminderKind.SURVEILLANCE_OVERDUE, ReminderKind.SUSPENSION_PROPOSED]
    scan_surveillance(today=DUE)
    assert _rows(kind__in=overdue) == []
    scan_surveillance(today=D(2026, 1, 16))
    assert _rows(kind__in=overdue) == [
        (ReminderKind.SURVEILLANCE_OVERDUE, cert.pk, DUE, "staff"),
        (ReminderKind.SUSPENSION_PROPOSED, cert.pk, DUE, "decider"),
    ]
    # (staff hold the audit; the decision makers get the suspension proposal)
    # Still overdue the days after: nothing new.
    assert scan_surveillance(today=D(2026, 1, 17)).total == 0


def test_overdue_waits_for_the_grace_period(cert, policy):
    policy(SURVEILLANCE_OVERDUE_GRACE_DAYS=5)
    scan_surveillance(today=D(2026, 1, 20))
    assert _rows(kind=ReminderKind.SURVEILLANCE_OVERDUE) == []
    scan_surveillance(today=D(2026, 1, 21))
    assert len(_rows(kind=ReminderKind.SURVEILLANCE_OVERDUE)) == 1
    assert len(_rows(kind=ReminderKind.SUSPENSION_PROPOSED)) == 1


def test_no_reminder_for_a_surveillance_already_held_or_a_suspended_certification(cert, people):
    # Suspended: not active, so neither due nor overdue is reported (the suspension is its
    # own concern).
    lc.svc.certification_suspend(
        certification=cert, reason="Client asked", by=people.decider, on=D(2025, 6, 1)
    )
    scan_surveillance(today=D(2026, 1, 16))
    scan_surveillance(today=D(2025, 12, 16))
    assert _rows() == []


def test_scan_twice_send_twice_one_row_and_one_mail_per_recipient(cert, people):
    day = D(2026, 1, 16)
    scan_all(today=day)
    scan_all(today=day)
    assert Reminder.objects.count() == 2  # staff and decider
    first = send_due_reminders(today=day)
    second = send_due_reminders(today=day)
    assert (first.mails, first.sent, second.mails) == (2, 2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["decider@example.com", "staff@example.com"]
    assert not Reminder.objects.unsent().exists()
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}


def test_digest_groups_a_recipients_reminders_into_one_mail_with_links(db, people, policy):
    policy(REMINDER_SURVEILLANCE_DUE_DAYS=[30])
    due_soon = lc.certified(people, decided_on=D(2025, 2, 15))  # surveillance due 2026-02-15
    overdue = lc.certified(people, decided_on=GRANTED)  # due 2026-01-15
    scan_all(today=D(2026, 1, 16))
    send_due_reminders(today=D(2026, 1, 16))
    staff_mails = [m for m in mail.outbox if m.to == ["staff@example.com"]]
    assert len(staff_mails) == 1
    message = staff_mails[0]
    assert message.subject == "[certbody Certification Ltd.] 2 deadline reminders, 2026-01-16"
    base = "http://127.0.0.1:8000"
    # Each links to where its work gets done: the certification's page in the workspace.
    assert f"{base}/work/certifications/{due_soon.pk}/\n" in message.body
    assert f"{base}/work/certifications/{overdue.pk}/\n" in message.body
    assert "/admin/" not in message.body
    # and the last line to the recipient's reminders, where they acknowledge them.
    assert message.body.endswith(f"See and acknowledge your reminders: {base}/work/reminders/")
    assert "Surveillance due by 2026-02-15: plan it and confirm the dates" in message.body
    assert "Surveillance was due by 2026-01-15 and has not been held" in message.body
    assert str(due_soon.client) in message.body
    # The decider only hears about the overdue one.
    (decider_mail,) = [m for m in mail.outbox if m.to == ["decider@example.com"]]
    assert "1 deadline reminder," in decider_mail.subject
    assert f"/certification/{due_soon.pk}/" not in decider_mail.body


@pytest.fixture
def _fresh_url_caches():
    """The resolver caches reverse lookups per language, with the language prefix of the
    LANGUAGE_CODE of the moment: do not leave this test's entries to later tests."""
    clear_url_caches()
    yield
    clear_url_caches()


def test_digest_is_in_the_default_language(cert, settings, _fresh_url_caches):
    settings.LANGUAGE_CODE = "zh-hans"
    scan_all(today=D(2026, 1, 16))
    send_due_reminders(today=D(2026, 1, 16))
    with translation.override("zh-hans"):
        label = str(ReminderKind.SURVEILLANCE_OVERDUE.label)
    assert label != "Surveillance overdue"  # the catalogue has it
    assert label in mail.outbox[0].body
    assert f"/work/certifications/{cert.pk}/" in mail.outbox[0].body


def test_failed_send_stays_unsent_and_goes_out_once_on_the_next_run(cert, monkeypatch):
    day = D(2025, 12, 16)
    scan_all(today=day)

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refuse)
        result = send_due_reminders(today=day)
    assert (result.mails, result.failed) == (0, 1)
    reminder = Reminder.objects.get()
    assert reminder.sent_at is None
    assert reminder.attempts == 1
    assert reminder.last_error == "SMTPServerDisconnected: mail server went away"
    assert mail.outbox == []

    assert send_due_reminders(today=day).mails == 1
    assert send_due_reminders(today=day).mails == 0
    assert len(mail.outbox) == 1
    reminder.refresh_from_db()
    assert (reminder.attempts, reminder.last_error) == (2, "")
    assert reminder.sent_at is not None


def test_dry_run_prints_and_writes_nothing(cert):
    out = io.StringIO()
    call_command("send_reminders", "--today", "2026-01-16", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Would write 2 new reminder(s) for 2026-01-16" in text
    assert "Would send to staff <staff@example.com>" in text
    assert "Would send to decider <decider@example.com>" in text
    assert f"/work/certifications/{cert.pk}/" in text
    assert Reminder.objects.count() == 0
    assert mail.outbox == []


def test_command_scans_and_sends(cert):
    out = io.StringIO()
    call_command("send_reminders", "--today", "2026-01-16", stdout=out)
    assert "Wrote 2 new reminder(s) for 2026-01-16" in out.getvalue()
    assert "Sent 2 mail(s) with 2 reminder(s); 0 failed" in out.getvalue()
    assert len(mail.outbox) == 2
    call_command("send_reminders", "--today", "2026-01-16", stdout=io.StringIO())
    assert len(mail.outbox) == 2


def test_task_scans_and_queues_the_sending_after_commit(cert, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = scan_reminders.delay(on="2026-01-16").get()
    assert {kind: n for kind, n in created.items() if n} == {
        "surveillance_overdue": 1,
        "suspension_proposed": 1,
    }
    assert len(mail.outbox) == 2  # eager in tests: the queued sender ran


def test_broker_down_logs_and_keeps_the_reminders(cert, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(send_reminders, "delay", down)
    scan_all(today=D(2026, 1, 16))
    enqueue_send()
    assert "Could not queue sending of reminders" in caplog.text
    assert Reminder.objects.unsent().count() == 2


def test_the_apps_register_their_scans_in_the_domain_order():
    """Each app declares its scans beside its services (certificates/reminders.py,
    audits/reminders.py); the daily scan runs them in this order, overdue surveillance (and its
    escalation, which may suspend) first."""
    assert [(scan.__module__, scan.__name__) for scan in scans()] == [
        ("certificates.reminders", "scan_surveillance"),
        ("certificates.reminders", "scan_recertification"),
        ("certificates.reminders", "scan_expiry"),
        ("certificates.reminders", "scan_restoration"),
        ("certificates.reminders", "scan_suspension"),
        ("audits.reminders", "scan_findings"),
        ("certificates.reminders", "scan_stage1_validity"),
        ("audits.reminders", "scan_majors_stage2_limit"),
        ("audits.reminders", "scan_audits"),
        ("certificates.reminders", "scan_certsearch"),
    ]


def test_two_scans_cannot_share_a_place_in_the_order():
    with pytest.raises(ImproperlyConfigured, match="both have order 10"):
        reminder_scan(order=10)(lambda *, today: None)


def test_beat_schedules_the_scan_and_the_send_and_keeps_the_others():
    schedule = celery_app.conf.beat_schedule
    tasks = {entry["task"] for entry in schedule.values()}
    assert {
        "reminders.tasks.scan_reminders",
        "reminders.tasks.send_reminders",
        "certificates.tasks.expire_certifications",
        "certificates.tasks.export_certsearch_monthly",
    } <= tasks
    scan = schedule["scan-reminders-daily"]["schedule"]
    send = schedule["send-reminders-daily"]["schedule"]
    assert (scan.hour, scan.minute) == ({6}, {0})
    assert (send.hour, send.minute) == ({6}, {30})


def test_scan_queries_do_not_grow_with_the_certifications(db, people):
    lc.certified(people, decided_on=GRANTED)

    def count():
        Reminder.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            scan_all(today=D(2026, 1, 16))
        return len(ctx)

    one = count()
    # Other decision dates: the same auditors cannot audit two clients at once.
    lc.certified(people, decided_on=GRANTED - datetime.timedelta(days=10))
    lc.certified(people, decided_on=GRANTED - datetime.timedelta(days=20))
    assert Reminder.objects.count() == 2
    assert count() == one
    assert Reminder.objects.count() == 6


def test_admin_acknowledge_records_who_and_when(cert, people, client):
    scan_all(today=D(2026, 1, 16))
    reminder = Reminder.objects.get(recipient=people.decider)
    client.force_login(people.staff)
    url = reverse("admin:reminders_reminder_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert str(cert.client) in page.text
    response = client.post(
        url, {"action": "acknowledge", "_selected_action": [reminder.pk]}, follow=True
    )
    assert "1 reminder acknowledged." in response.text
    reminder.refresh_from_db()
    assert reminder.acknowledged_by == people.staff
    assert reminder.acknowledged_at is not None
    other = Reminder.objects.get(recipient=people.staff)
    assert other.acknowledged_at is None
    # Open reminders filter.
    page = client.get(url, {"acknowledged": "no"})
    assert list(page.context["cl"].result_list) == [other]


def test_admin_is_read_only(cert, people, client):
    scan_all(today=D(2026, 1, 16))
    reminder = Reminder.objects.first()
    client.force_login(people.staff)
    assert client.get(reverse("admin:reminders_reminder_add")).status_code == 403
    assert (
        client.get(reverse("admin:reminders_reminder_delete", args=[reminder.pk])).status_code
        == 403
    )
    page = client.get(reverse("admin:reminders_reminder_change", args=[reminder.pk]))
    assert page.status_code == 200
    assert 'name="due_date"' not in page.text


def test_an_auditor_cannot_acknowledge(cert, people, client):
    scan_all(today=D(2026, 1, 16))
    client.force_login(people.auditor)
    assert client.get(reverse("admin:reminders_reminder_changelist")).status_code == 403


# -- two scans and two senders at once, on PostgreSQL --------------------------------------------
@pytest.fixture
def _restore_migrated_data(django_db_blocker):
    """After the transactional test's flush, put the migrated data back for later tests."""
    yield
    if hasattr(connection, "_test_serialized_contents"):
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


def _in_threads(fn, n=2):
    results, threads = {}, []

    def body(i):
        try:
            results[i] = ("ok", fn())
        except BaseException as err:  # reported by the main thread
            results[i] = ("error", err)
        finally:
            connections.close_all()

    for i in range(n):
        threads.append(threading.Thread(target=body, args=(i,), daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    errors = [r for r in results.values() if r[0] == "error"]
    assert not errors, errors
    return [results[i][1] for i in range(n)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_scans_and_two_senders_at_once_one_row_and_one_mail(
    people, monkeypatch, _restore_migrated_data
):
    cert = lc.certified(people, decided_on=GRANTED)
    UserFactory(role="CB staff", username="staff2")
    # Both scans pass the "already there?" check before either inserts: the unique constraint
    # alone must keep one row (the second insert waits for the first commit, then skips).
    both_checked = threading.Barrier(2, timeout=TIMEOUT)
    seen = threading.local()
    original = Reminder.objects.bulk_create

    def bulk_create_together(objs, **kwargs):
        if not getattr(seen, "done", False):
            seen.done = True
            both_checked.wait()
        return original(objs, **kwargs)

    monkeypatch.setattr(Reminder.objects, "bulk_create", bulk_create_together)
    results = _in_threads(lambda: scan_all(today=D(2026, 1, 16)))
    # Each scan believed it wrote the two overdue rows (staff, staff2): the race really
    # happened. (The decider's suspension proposal is written after the race point: the later
    # scan finds it.)
    assert [r.created[ReminderKind.SURVEILLANCE_OVERDUE] for r in results] == [2, 2]
    assert sorted(Reminder.objects.values_list("recipient__username", flat=True)) == [
        "decider",
        "staff",
        "staff2",
    ]
    assert set(Reminder.objects.values_list("object_id", "kind")) == {
        (cert.pk, ReminderKind.SURVEILLANCE_OVERDUE),
        (cert.pk, ReminderKind.SUSPENSION_PROPOSED),
    }

    # Two senders. A locks its first recipient's rows and is held inside the send; B runs
    # meanwhile: it must neither wait for A's locked rows (skip_locked) nor send them, and it
    # sends the other recipients' digests. Then A finishes its one.
    a_sending, b_done = threading.Event(), threading.Event()
    original_send = EmailBackend.send_messages

    def held_send(self, messages):
        if threading.current_thread().name == "A" and not a_sending.is_set():
            a_sending.set()
            assert b_done.wait(TIMEOUT), "B waited for A's locked reminders"
        return original_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", held_send)
    outcome = {}

    def sender(name):
        def body():
            try:
                outcome[name] = send_due_reminders(today=D(2026, 1, 16))
            except BaseException as err:
                outcome[name] = err
            finally:
                if name == "B":
                    b_done.set()
                connections.close_all()

        return threading.Thread(target=body, name=name, daemon=True)

    a, b = sender("A"), sender("B")
    a.start()
    assert a_sending.wait(TIMEOUT)
    b.start()
    a.join(TIMEOUT)
    b.join(TIMEOUT)
    assert not a.is_alive() and not b.is_alive(), "a sender hung"
    assert (outcome["A"].mails, outcome["B"].mails) == (1, 2), outcome
    assert sorted(m.to[0] for m in mail.outbox) == [
        "decider@example.com",
        "staff2@example.com",
        "staff@example.com",
    ]
    assert not Reminder.objects.unsent().exists()
