"""The daily scans and the subjects they remind of: each domain app declares its scans beside its
services (``certificates/reminders.py``, ``audits/reminders.py``) and registers them here when it
is ready; ``scan_all`` runs them.

Shape (shared/style.md, Tasks): one scanner per concern queries what is due on ``today`` and
writes a row under the unique constraint (subject, kind, due date, lead time, recipient), with
reminders/writing.py. Running a scan twice, two scans at once, or a retry after a crash writes
nothing twice. The task (reminders/tasks.py) queues the sending once the rows are committed;
a broker that is down loses nothing: the next send run picks the reminders up.

A scan is a function ``scan(*, today) -> ScanResult``, registered with
``@reminder_scan(order=N)``; its docstring says who receives its reminders and why. A new kind
also gets a sentence in reminders/digests.py (KIND_LINES). Each model a reminder can be about is
registered with ``reminder_subject``: the query that loads it for the digest and the admin
(what its label prints), and its label in the digest.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction


@dataclass
class ScanResult:
    """How many reminder rows each kind wrote (rows that already existed are not counted)."""

    created: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.created.values())


# -- the scans ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Scan:
    order: int
    function: Callable[..., ScanResult]


_scans: dict[str, _Scan] = {}  # by the function's dotted name


def reminder_scan(*, order: int):
    """Register the decorated function as a daily scan. ``scan_all`` runs the scans by
    ascending ``order``, one number per scan: the order is part of the domain (overdue
    surveillance comes first, since its escalation may suspend a certification before the
    other scans read it)."""

    def register(function):
        name = f"{function.__module__}.{function.__qualname__}"
        for other, scan in _scans.items():
            if scan.order == order and other != name:
                raise ImproperlyConfigured(
                    f"Reminder scans {other} and {name} both have order {order}."
                )
        _scans[name] = _Scan(order=order, function=function)
        return function

    return register


def scans() -> list[Callable[..., ScanResult]]:
    """The registered scans, in the order ``scan_all`` runs them."""
    return [scan.function for scan in sorted(_scans.values(), key=lambda scan: scan.order)]


def _plan_for_every_row() -> None:
    """The scans stream through server-side cursors, which PostgreSQL plans for the first
    10 % of the rows (cursor_tuple_fraction): with ORDER BY pk, a walk of the whole table in
    key order, over a second per query with 1.35 M certifications (docs/benchmarks.md). The
    scans read every row, so plan for all of them, in this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")


def scan_all(*, today: datetime.date) -> ScanResult:
    """Run every registered scan for ``today``, in order, in one transaction."""
    result = ScanResult()
    with transaction.atomic():
        _plan_for_every_row()
        for scan in scans():
            result.created.update(scan(today=today).created)
    return result


# -- the subjects ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Subject:
    queryset: object
    label: Callable[[object], str]


_subjects: dict[str, _Subject] = {}  # by the model's label, "app_label.modelname"


def reminder_subject(queryset, *, label: Callable[[object], str] = str) -> None:
    """Register a model reminders can be about: ``queryset`` loads its rows for the digest and
    the admin (select_related what ``label`` and ``str()`` read), ``label(subject)`` is how
    the digest names one."""
    _subjects[queryset.model._meta.label_lower] = _Subject(queryset=queryset, label=label)


def subject_querysets() -> list:
    """The registered subjects' querysets (fresh copies)."""
    return [subject.queryset.all() for subject in _subjects.values()]


def subject_label(content_type, subject) -> str:
    """How the digest names ``subject``, a row of ``content_type``'s model."""
    registered = _subjects.get(f"{content_type.app_label}.{content_type.model}")
    return registered.label(subject) if registered else str(subject)
