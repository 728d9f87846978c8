"""Calendar arithmetic used by the rules. Every rule takes its ``on`` date as a parameter."""

import datetime

from dateutil.relativedelta import relativedelta


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    return day + relativedelta(months=months)


def add_years(day: datetime.date, years: int) -> datetime.date:
    """Same day ``years`` later; 29 Feb becomes 28 Feb in a common year."""
    return day + relativedelta(years=years)


def not_after_today(value: datetime.date) -> None:
    """A form validator for the date an action is recorded on: a past event may be recorded,
    a future one may not (a decision, a report, a verification dated after today)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    today = local_today()
    if value is not None and value > today:
        raise ValidationError(
            _("%(day)s is after today (%(today)s): an action cannot be recorded in advance.")
            % {"day": value.isoformat(), "today": today.isoformat()}
        )


def local_today() -> datetime.date:
    """Today in the body's time zone. Only views, commands and tasks call this (the boundary);
    rules receive the date as an ``on`` argument."""
    from django.utils import timezone

    return timezone.localdate()
