"""The dashboard's figures about certifications and decisions, aggregated in the database.

Each function returns plain values (codes, dates, numbers), no labels: the page translates,
and the figures can be cached and shared between languages. Every query is one GROUP BY over
a bounded window of an indexed date, except ``certifications_by_state``, which counts the
whole table (the page caches it; see workspace/views/dashboard.py).
"""

import datetime

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, IntegerField
from django.db.models.functions import TruncQuarter

from ..models import Certification, Decision, DecisionOutcome, State

# The decisions that end an application: how long it took from receipt to the decision.
INITIAL_DECISIONS = (DecisionOutcome.GRANT, DecisionOutcome.REFUSE)


def certifications_by_state() -> list[tuple[str, int]]:
    """(state, count) for every state, in the state machine's order (zeros included). One
    GROUP BY over the whole table: the index on (state, ...) serves it."""
    counts = dict(Certification.objects.order_by().values_list("state").annotate(n=Count("pk")))
    return [(state, counts.get(state, 0)) for state in State.values]


class DaysBetween(Func):
    """Whole days from the second date to the first (``later - earlier``), as an integer."""

    output_field = IntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.source_expressions)
        return f"({later[0]} - {earlier[0]})", (*later[1], *earlier[1])

    def as_sqlite(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.source_expressions)
        return (
            f"CAST(julianday({later[0]}) - julianday({earlier[0]}) AS INTEGER)",
            (*later[1], *earlier[1]),
        )


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile (linear interpolation between the ranks)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile(values: list[int], fraction: float) -> float | None:
    """The continuous percentile of ``values`` (as PostgreSQL's percentile_cont): linear
    interpolation between the two nearest ranks. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def decision_times(*, since: datetime.date, until: datetime.date) -> list[dict]:
    """Days from an application's receipt to its grant or refusal, per quarter of the
    decision (decided in [since, until)): [{"quarter": date, "count", "median", "p90"}],
    oldest first. Only quarters with decisions are listed."""
    qs = (
        Decision.objects.filter(
            outcome__in=INITIAL_DECISIONS,
            decided_on__gte=since,
            decided_on__lt=until,
            certification__application__isnull=False,
        )
        .order_by()
        .annotate(
            quarter=TruncQuarter("decided_on"),
            days=DaysBetween(F("decided_on"), F("certification__application__received_on")),
        )
    )
    if connection.vendor == "postgresql":
        rows = qs.values("quarter").annotate(
            count=Count("pk"), median=Percentile("days", 0.5), p90=Percentile("days", 0.9)
        )
        return sorted(
            (
                {
                    "quarter": _as_date(r["quarter"]),
                    "count": r["count"],
                    "median": r["median"],
                    "p90": r["p90"],
                }
                for r in rows
            ),
            key=lambda r: r["quarter"],
        )
    # Elsewhere (SQLite on a laptop, the tests): the same figures from the days themselves.
    by_quarter: dict[datetime.date, list[int]] = {}
    for quarter, days in qs.values_list("quarter", "days"):
        by_quarter.setdefault(_as_date(quarter), []).append(days)
    return [
        {
            "quarter": quarter,
            "count": len(days),
            "median": percentile(days, 0.5),
            "p90": percentile(days, 0.9),
        }
        for quarter, days in sorted(by_quarter.items())
    ]


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value
