"""Leap day (issue 15, item 7): a cycle ends the day before its third anniversary, and the
anniversary of 29 February in a common year is 1 March. A grant on 2024-02-29 expires on
2027-02-28, not on 2027-02-27 like a grant on 2024-02-28."""

import datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from certificates import services as svc
from certificates.models import Certification
from core.dates import anniversary
from tests import lifecycle as lc

D = datetime.date
DAY = datetime.timedelta(days=1)


def third_anniversary(start: D) -> D:
    """Written out here, independently of core.dates: the same day three years on, or
    1 March when that day does not exist (29 February in a common year)."""
    try:
        return start.replace(year=start.year + 3)
    except ValueError:
        return D(start.year + 3, 3, 1)


@pytest.mark.parametrize(
    ("start", "expiry"),
    [
        (D(2024, 2, 28), D(2027, 2, 27)),
        (D(2024, 2, 29), D(2027, 2, 28)),
        (D(2024, 3, 1), D(2027, 2, 28)),
        (D(2025, 2, 28), D(2028, 2, 27)),
        (D(2025, 3, 1), D(2028, 2, 29)),
        (D(2025, 1, 15), D(2028, 1, 14)),
        (D(2023, 12, 31), D(2026, 12, 30)),
        (D(2024, 1, 1), D(2026, 12, 31)),
    ],
)
def test_expiry_is_the_day_before_the_third_anniversary(start, expiry):
    assert Certification.expiry_for(start) == expiry


def test_anniversary_of_the_leap_day():
    assert anniversary(D(2024, 2, 29), 1) == D(2025, 3, 1)
    assert anniversary(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert anniversary(D(2024, 2, 28), 3) == D(2027, 2, 28)


# Any date, and often the days around the end of February, where the rule can go wrong.
DATES = st.one_of(
    st.dates(D(1901, 1, 1), D(2396, 12, 31)),
    st.builds(
        lambda year, offset: D(year, 2, 25) + offset * DAY,
        st.integers(1901, 2396),
        st.integers(0, 6),
    ),
)


@given(DATES)
@example(D(2024, 2, 29))
def test_every_start_date_expiry_plus_one_day_is_the_third_anniversary(start):
    expiry = Certification.expiry_for(start)
    assert expiry + DAY == third_anniversary(start)
    # A cycle is three years long: 1095 or 1096 days (at most one 29 February in it).
    assert 3 * 365 <= (expiry - start).days + 1 <= 3 * 365 + 1


@given(DATES)
@example(D(2025, 2, 28))
def test_every_renewal_runs_three_years_from_the_day_after_the_old_expiry(old_expiry):
    new_start = old_expiry + DAY
    assert Certification.renewed_expiry(old_expiry) + DAY == third_anniversary(new_start)


def test_without_the_minus_one_day_policy_the_expiry_is_the_anniversary(settings):
    settings.CERTBODY = {**settings.CERTBODY, "EXPIRY_MINUS_ONE_DAY": False}
    assert Certification.expiry_for(D(2024, 2, 29)) == D(2027, 3, 1)
    assert Certification.renewed_expiry(D(2027, 3, 1)) == D(2030, 3, 1)


def test_every_day_of_two_centuries():
    """The property above, exhaustively over 1901-2100 (73 000 days)."""
    day = D(1901, 1, 1)
    while day.year <= 2100:
        assert Certification.expiry_for(day) + DAY == third_anniversary(day), day
        day += DAY


@pytest.mark.django_db
def test_grant_on_the_leap_day(people):
    cert = lc.certified(people, decided_on=D(2024, 2, 29))
    assert (cert.cycle_start, cert.expiry_date) == (D(2024, 2, 29), D(2027, 2, 28))
    certificate = cert.current_certificate()
    assert (certificate.effective_date, certificate.expiry_date) == (
        D(2024, 2, 29),
        D(2027, 2, 28),
    )
    # Surveillance limits are never overrun: 12 and 24 months on, clamped to 28 February.
    assert cert.surveillance_due_dates() == [D(2025, 2, 28), D(2026, 2, 28)]
    assert cert.next_surveillance_due == D(2025, 2, 28)
    assert cert.restoration_window_end() == D(2027, 8, 28)


@pytest.mark.django_db
def test_grant_the_day_before_the_leap_day_expires_a_day_earlier(people):
    cert = lc.certified(people, decided_on=D(2024, 2, 28))
    assert cert.expiry_date == D(2027, 2, 27)


@pytest.mark.django_db
def test_recertification_into_a_leap_year_ends_on_29_february(people):
    """Granted 2022-03-01, expiring 2025-02-28: the new cycle starts 2025-03-01 and ends the
    day before its third anniversary, 2028-02-29."""
    cert = lc.certified(people, decided_on=D(2022, 3, 1))
    assert cert.expiry_date == D(2025, 2, 28)
    lc.recert_audit(cert, people, start=D(2025, 1, 10))
    certificate = svc.certification_recertify(
        certification=cert, by=people.decider, on=D(2025, 2, 1)
    )
    cert.refresh_from_db()
    assert (cert.cycle_start, cert.expiry_date) == (D(2025, 3, 1), D(2028, 2, 29))
    assert certificate.expiry_date == D(2028, 2, 29)
