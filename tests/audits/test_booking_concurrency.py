"""Two staff book the same auditor on overlapping days at the same moment (real PostgreSQL, two
connections): exactly one succeeds, the other gets the clear message, nothing half-written.

Two certifications each have a surveillance on overlapping days; two threads set the same
auditor as team leader, one on each. Neither sees the other's uncommitted booking, so both pass
the check in Python; the exclusion constraint ``booking_no_overlap`` decides. In the held race,
thread A has written its booking and is held before commit (a wrapper around
``write_bookings``); B then inserts and waits on A's row (seen in pg_stat_activity); A commits
and B's insert fails on the constraint, which the service turns into the message naming the
person and the clashing audit. The free race releases both at once, a few times.

Every wait is bounded: events and joins time out, and B's session has a lock_timeout.
"""

import datetime
import threading
import time

import pytest
from django.db import connection, connections

from audits.models import Audit, Booking
from audits.services import AuditError, audit_set_team
from audits.services import teams as teams_module
from audits.services.programme import programme_audits
from tests import lifecycle as lc
from tests.audits.factories import all_standards_auditor

D = datetime.date
TIMEOUT = 15  # seconds, for every wait
# Committed data (other connections must see it). serialized_rollback: each test starts from
# the migrated data (roles, standards, IAF codes, tables), which the flush removes.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module", autouse=True)
def _leave_the_migrated_data(django_db_setup, django_db_blocker):
    """After the last test's flush, put the migrated data back for the tests that follow."""
    yield
    if not hasattr(connection, "_test_serialized_contents"):
        return
    with django_db_blocker.unblock():
        connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


def two_surveillances(people):
    """Two clients' first surveillances, both proposed from 2025-11-15."""
    crew_b = lc.People(
        staff=people.staff,
        auditor=all_standards_auditor("lead_b"),
        auditor2=all_standards_auditor("member_b"),
        decider=people.decider,
    )
    first = programme_audits(lc.certified(people, decided_on=D(2025, 1, 15))).get(
        programme_year=1, kind="surveillance"
    )
    second = programme_audits(lc.certified(crew_b, decided_on=D(2025, 1, 15))).get(
        programme_year=1, kind="surveillance"
    )
    assert first.planned_end >= second.planned_start and second.planned_end >= first.planned_start
    return first, second


def book(audit, leader, staff):
    return audit_set_team(
        audit=Audit.objects.get(pk=audit.pk),
        team_leader=leader,
        by=staff,
        on=D(2025, 9, 1),
        acknowledge_warnings=True,
    )


def _thread(name, fn, results, *, before=None):
    def body():
        try:
            if before:
                before()
            results[name] = fn()
        except BaseException as err:  # reported by the main thread
            results[name] = err
        finally:
            connections.close_all()

    return threading.Thread(target=body, name=name, daemon=True)


def test_held_race_one_booking_wins(people, monkeypatch):
    first, second = two_surveillances(people)
    target = all_standards_auditor("wanted")
    a_wrote, release_a, b_ready = threading.Event(), threading.Event(), threading.Event()
    b_pid = {}
    original = teams_module.write_bookings

    def held_write_bookings(audit, team):
        original(audit, team)
        if threading.current_thread().name == "A":
            a_wrote.set()
            assert release_a.wait(TIMEOUT), "A was never released"

    monkeypatch.setattr(teams_module, "write_bookings", held_write_bookings)

    def b_session():
        with connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{TIMEOUT}s'")
            cursor.execute("SELECT pg_backend_pid()")
            b_pid["pid"] = cursor.fetchone()[0]
        b_ready.set()

    results = {}
    a = _thread("A", lambda: book(first, target, people.staff), results)
    b = _thread("B", lambda: book(second, target, people.staff), results, before=b_session)
    try:
        a.start()
        assert a_wrote.wait(TIMEOUT), f"A never wrote its booking: {results}"
        b.start()
        assert b_ready.wait(TIMEOUT), f"B never started: {results}"
        deadline = time.monotonic() + TIMEOUT
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [b_pid["pid"]]
                )
                row = cursor.fetchone()
                if row and row[0] == "Lock":
                    break
                time.sleep(0.005)  # polling PostgreSQL's view, not a synchronisation guess
            else:
                raise AssertionError(f"B never waited on A's booking: {results}")
    finally:
        release_a.set()
        a.join(TIMEOUT)
        b.join(TIMEOUT)
    assert not a.is_alive() and not b.is_alive(), "a thread hung"

    assert not isinstance(results["A"], BaseException), results["A"]
    err = results["B"]
    assert isinstance(err, AuditError), err
    first.refresh_from_db()
    assert err.messages == [
        f"wanted is not free from {second.planned_start} to {second.planned_end}: on the audit "
        f"“{first}”, {first.planned_start} to {first.planned_end}."
    ]
    # A applied completely, B not at all.
    assert list(Booking.objects.filter(auditor=target).values_list("audit", flat=True)) == [
        first.pk
    ]
    assert Audit.objects.get(pk=first.pk).team_leader == target
    assert Audit.objects.get(pk=second.pk).team_leader is None


def test_free_race_exactly_one_succeeds(people):
    first, second = two_surveillances(people)
    for round_ in range(3):
        target = all_standards_auditor(f"wanted{round_}")
        start = threading.Barrier(2, timeout=TIMEOUT)
        results = {}
        threads = [
            _thread(name, lambda audit=audit, who=target: book(audit, who, people.staff),
                    results, before=start.wait)
            for name, audit in (("A", first), ("B", second))
        ]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT)
        assert not any(t.is_alive() for t in threads), "a thread hung"
        errors = [r for r in results.values() if isinstance(r, BaseException)]
        assert len(errors) == 1, results
        assert isinstance(errors[0], AuditError), errors[0]
        assert errors[0].messages[0].startswith(f"wanted{round_} is not free from ")
        assert Booking.objects.filter(auditor=target).count() == 1
        # Free both audits for the next round.
        for audit in (first, second):
            Booking.objects.filter(audit=audit).delete()
            Audit.objects.filter(pk=audit.pk).update(team_leader=None)
