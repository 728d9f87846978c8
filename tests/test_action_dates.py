"""A person's action is recorded when it happens, not in advance (issue 15, item 2): no
transition taken by a person is dated after today, in the services as in the forms; the
system's own steps (the nightly expiry, by=None) are not people's records."""

import datetime
import importlib

import pytest

from certificates import services as svc
from certificates.models import Certification, State
from certificates.services import CertificationError
from core import transitions
from core.dates import local_today
from tests import lifecycle as lc

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """Today is 2024-09-10 for the rule."""
    monkeypatch.setattr(transitions, "latest_action_day", lambda: D(2024, 9, 10))


def test_the_rules_clock_is_today_in_the_bodys_time_zone():
    real = importlib.reload(transitions)  # the module's own function, not the suite's pin
    try:
        assert real.latest_action_day() == local_today()
    finally:
        importlib.reload(transitions)


def test_an_action_dated_after_today_is_refused_and_changes_nothing(people, clock):
    cert = lc.apply(people, received_on=D(2024, 9, 1))
    cert = svc.certification_start_review(certification=cert, by=people.staff, on=D(2024, 9, 5))
    with pytest.raises(CertificationError) as err:
        svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 11))
    assert err.value.messages == [
        "“Accept application” cannot be dated 2024-09-11, after today (2024-09-10): an action "
        "is recorded when it happens."
    ]
    assert Certification.objects.get(pk=cert.pk).state == State.UNDER_REVIEW
    # Today and the past are fine.
    cert = svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert cert.state == State.ACCEPTED


def test_the_systems_own_steps_are_not_bound_by_it(people, monkeypatch):
    cert = lc.certified(people, decided_on=D(2024, 1, 15))  # expires 2027-01-14
    monkeypatch.setattr(transitions, "latest_action_day", lambda: D(2026, 12, 31))
    cert = svc.certification_expire(certification=cert, on=D(2027, 1, 15))  # by=None: system
    assert cert.state == State.EXPIRED
