"""A booking insert that PostgreSQL aborts as a deadlock victim (two teams booking the same
person at once) is tried again, and when it keeps deadlocking ends in a clear message, never
a database error (audits/services/bookings.py, _insert_booking)."""

import datetime

import pytest
from django.db import OperationalError

from audits.errors import AuditError
from audits.models import AuditRole, Booking
from audits.services import bookings
from audits.services.audits import audit_plan
from audits.services.bookings import _insert_booking
from tests import lifecycle as lc
from tests.audits.factories import all_standards_auditor


class _Deadlock(Exception):
    sqlstate = "40P01"


def _deadlock():
    err = OperationalError("deadlock detected")
    err.__cause__ = _Deadlock()
    return err


@pytest.fixture
def audit(people):
    cert = lc.certified(people)
    return audit_plan(
        certification=cert,
        kind="surveillance",
        planned_start=datetime.date(2025, 11, 15),
        planned_end=datetime.date(2025, 11, 15),
        team_leader=people.auditor,
        by=people.staff,
    )


def _create_failing(monkeypatch, times):
    real = Booking.objects.create
    calls = []

    def create(**kwargs):
        calls.append(kwargs)
        if len(calls) <= times:
            raise _deadlock()
        return real(**kwargs)

    monkeypatch.setattr(Booking.objects, "create", create)
    return calls


def test_a_deadlock_victim_tries_again(audit, monkeypatch):
    who = all_standards_auditor("wanted")
    calls = _create_failing(monkeypatch, times=1)
    _insert_booking(audit, who, AuditRole.TEAM_LEADER)
    assert len(calls) == 2
    assert Booking.objects.filter(audit=audit, auditor=who).count() == 1


def test_deadlocks_every_time_end_in_a_clear_message(audit, monkeypatch):
    who = all_standards_auditor("wanted")
    calls = _create_failing(monkeypatch, times=bookings.DEADLOCK_RETRIES)
    with pytest.raises(AuditError, match="was booked by someone else"):
        _insert_booking(audit, who, AuditRole.TEAM_LEADER)
    assert len(calls) == bookings.DEADLOCK_RETRIES
    assert not Booking.objects.filter(auditor=who).exists()


def test_another_database_error_is_not_hidden(audit, monkeypatch):
    def create(**kwargs):
        raise OperationalError("disk full")

    monkeypatch.setattr(Booking.objects, "create", create)
    with pytest.raises(OperationalError, match="disk full"):
        _insert_booking(audit, all_standards_auditor("wanted"), AuditRole.TEAM_LEADER)
