"""Audit time: the per-standard tables of auditor-days by effective personnel (IAF MD 5) as
plain values, their band checks and the table time for a number of people, following the
table's progression beyond its last band. No database: ``Table.from_model`` reads an
``AuditTimeTable``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from django.utils.translation import gettext_lazy as _

from .inputs import HUNDRED, AuditTimeInputError

MAX_BANDS_BEYOND = 10_000  # a table whose progression needs more is misconfigured

MSG_EMPTY_TABLE = _("The audit-time table of %(standard)s has no rows: add its bands first.")
MSG_BAND_GAP = _(
    "The audit-time table of %(standard)s has no band for %(personnel)s people: its bands "
    "leave a gap there. Correct the table."
)
MSG_BAND_OVERLAP = _(
    "The audit-time table of %(standard)s has overlapping bands (%(first)s and %(second)s). "
    "Correct the table."
)
MSG_BEYOND_WIDTH = _(
    "The audit-time table of %(standard)s cannot follow its progression beyond the last band: "
    "the width of the bands beyond the table must be at least 1."
)
MSG_BEYOND_TOO_FAR = _(
    "%(personnel)s people is too far beyond the audit-time table of %(standard)s to follow its "
    "progression: extend the table."
)


@dataclass(frozen=True)
class Band:
    min_personnel: int
    max_personnel: int
    days: Decimal


@dataclass(frozen=True)
class Table:
    """One standard's table: ``standard`` is its label (e.g. "ISO 9001:2015"), ``key`` the
    caller's id for it (the standard's pk as text in the service)."""

    standard: str
    source: str
    rows: tuple[Band, ...]
    is_stand_in: bool = False
    beyond_band_width: int = 2200
    beyond_band_growth_percent: Decimal = Decimal(25)
    beyond_band_days: Decimal = Decimal(1)
    key: str = ""

    @classmethod
    def from_model(cls, table, *, rows=None) -> Table:
        """From an AuditTimeTable (``rows`` if already loaded)."""
        rows = table.rows.all() if rows is None else rows
        return cls(
            standard=str(table.standard),
            source=table.source,
            rows=tuple(
                Band(r.min_personnel, r.max_personnel, Decimal(r.days))
                for r in sorted(rows, key=lambda r: r.min_personnel)
            ),
            is_stand_in=table.is_stand_in,
            beyond_band_width=table.beyond_band_width,
            beyond_band_growth_percent=Decimal(table.beyond_band_growth_percent),
            beyond_band_days=Decimal(table.beyond_band_days),
            key=str(table.standard_id),
        )


def table_problems(rows: Sequence[Band], *, standard: str = "") -> tuple[list[str], list[str]]:
    """(errors, warnings) of a table's bands: overlapping bands are errors (a personnel
    figure would have two answers); a gap between bands is a warning (nobody with that
    personnel can be calculated until it is closed, but the rest of the table works)."""
    errors, warnings = [], []
    ordered = sorted(rows, key=lambda r: r.min_personnel)
    if not ordered:
        errors.append(str(MSG_EMPTY_TABLE % {"standard": standard}))
    for prev, row in pairwise(ordered):
        if row.min_personnel <= prev.max_personnel:
            errors.append(
                str(
                    MSG_BAND_OVERLAP
                    % {
                        "standard": standard,
                        "first": f"{prev.min_personnel}-{prev.max_personnel}",
                        "second": f"{row.min_personnel}-{row.max_personnel}",
                    }
                )
            )
        elif row.min_personnel > prev.max_personnel + 1:
            warnings.append(
                str(
                    _(
                        "%(standard)s: no band for %(low)s-%(high)s people (between "
                        "%(first)s and %(second)s)."
                    )
                    % {
                        "standard": standard,
                        "low": prev.max_personnel + 1,
                        "high": row.min_personnel - 1,
                        "first": f"{prev.min_personnel}-{prev.max_personnel}",
                        "second": f"{row.min_personnel}-{row.max_personnel}",
                    }
                )
            )
        if row.days < prev.days:
            warnings.append(
                str(
                    _("%(standard)s: the band %(second)s gives fewer days than %(first)s.")
                    % {
                        "standard": standard,
                        "first": f"{prev.min_personnel}-{prev.max_personnel}",
                        "second": f"{row.min_personnel}-{row.max_personnel}",
                    }
                )
            )
    if ordered and ordered[0].min_personnel > 1:
        warnings.append(
            str(
                _("%(standard)s: no band for 1-%(high)s people.")
                % {"standard": standard, "high": ordered[0].min_personnel - 1}
            )
        )
    return errors, warnings


@dataclass(frozen=True)
class BaseTime:
    days: Decimal
    low: int
    high: int
    beyond: int = 0  # 0: a row of the table; n: the n-th band beyond it


def base_days(table: Table, personnel: int) -> BaseTime:
    """Table time for ``personnel`` people (a whole number >= 1)."""
    rows = sorted(table.rows, key=lambda r: r.min_personnel)
    errors, _warnings = table_problems(rows, standard=table.standard)
    if errors:
        raise AuditTimeInputError(errors[0])
    for row in rows:
        if row.min_personnel <= personnel <= row.max_personnel:
            return BaseTime(row.days, row.min_personnel, row.max_personnel)
    last = rows[-1]
    if personnel < last.min_personnel:
        raise AuditTimeInputError(
            MSG_BAND_GAP % {"standard": table.standard, "personnel": personnel}
        )
    # Beyond the last band: "follow the progression" (IAF MD 5).
    width = Decimal(table.beyond_band_width)
    growth = 1 + Decimal(table.beyond_band_growth_percent) / HUNDRED
    if width < 1 or growth < 1:
        raise AuditTimeInputError(MSG_BEYOND_WIDTH % {"standard": table.standard})
    high, days, n = last.max_personnel, last.days, 0
    while True:
        n += 1
        if n > MAX_BANDS_BEYOND and growth != 1:
            raise AuditTimeInputError(
                MSG_BEYOND_TOO_FAR % {"standard": table.standard, "personnel": personnel}
            )
        band_width = int((width * growth ** (n - 1)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        low, high = high + 1, high + max(band_width, 1)
        days += Decimal(table.beyond_band_days)
        if growth == 1 and personnel > high:
            # Constant width: jump straight to the band instead of walking there.
            skip = (personnel - high - 1) // band_width
            n, high, days = n + skip, high + skip * band_width, days + skip * table.beyond_band_days
            low = high - band_width + 1
        if personnel <= high:
            return BaseTime(days, low, high, beyond=n)
