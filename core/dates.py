"""Calendar arithmetic used by the rules. Every rule takes its ``on`` date as a parameter."""

import calendar
import datetime

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# The dates a person may type into a form: a management system started in year 1, or an audit
# in 9999, is a typing error, and date arithmetic on it (a year before, three years after)
# overflows Python's date range.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    return day + relativedelta(months=months)


def add_years(day: datetime.date, years: int) -> datetime.date:
    """Same day ``years`` later; 29 Feb becomes 28 Feb in a common year (clamped, as
    add_months). For a limit that must not be overrun (a date "at the latest"). For the end of
    a period counted in years use ``anniversary``."""
    return day + relativedelta(years=years)


def anniversary(day: datetime.date, years: int) -> datetime.date:
    """The ``years``-th anniversary of ``day``. Convention: the anniversary of 29 February in
    a common year is 1 March (the day after 28 February), so a period of whole years starting
    on ``day`` ends the day before: 2024-02-29 + 3 years ends on 2027-02-28, like a start on
    2024-03-01 (anniversary 2027-03-01), one day after a start on 2024-02-28 (2027-02-27).
    ``add_years`` would give 28 February, and the day before it, 27 February, would cut a day
    off the period."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return datetime.date(year, 3, 1)
    return day.replace(year=year)


def not_after_today(value: datetime.date | None) -> None:
    """A form validator for the date an action is recorded on: a past event may be recorded,
    a future one may not (a decision, a report, a verification dated after today)."""
    today = local_today()
    if value is not None and value > today:
        raise ValidationError(
            _("%(day)s is after today (%(today)s): an action cannot be recorded in advance.")
            % {"day": value.isoformat(), "today": today.isoformat()}
        )


def plausible_date(value: datetime.date | None) -> None:
    """A form validator for every date typed in: not before 1900-01-01, not after
    2100-12-31."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            _("%(day)s is not a plausible date: use a date from %(first)s to %(last)s.")
            % {
                "day": value.isoformat(),
                "first": EARLIEST_DATE.isoformat(),
                "last": LATEST_DATE.isoformat(),
            }
        )


def local_today() -> datetime.date:
    """Today in the body's time zone. Only views, commands and tasks call this (the boundary);
    rules receive the date as an ``on`` argument."""
    return timezone.localdate()


def local_datetime_text(moment: datetime.datetime | None, *, seconds: bool = False) -> str:
    """A moment as people write it, in the body's time zone (TIME_ZONE): "2026-12-07 05:37"
    (with ":48" when ``seconds``); "" for None. Stored times are UTC: shown raw they give the
    wrong day for an evening in Shanghai."""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
