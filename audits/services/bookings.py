"""Bookings: the rows that keep an auditor in one place at a time (ISO/IEC 17021-1 7.1-7.2;
shared/domain.md, Auditors).

Every team member gets a Booking row for the audit's days; leave and other bookings are rows
too. On PostgreSQL the exclusion constraint ``booking_no_overlap`` refuses an overlap, so two
staff booking the same auditor at the same moment cannot both succeed: the loser gets the same
clear message as a clash found before writing (``busy_message``). The team rules that decide
who may be booked are in ``teams``.
"""

from django.db import IntegrityError, OperationalError, transaction
from django.utils.translation import gettext_lazy as _

from core import names

from ..errors import AuditError
from ..models import Booking, BookingKind

MSG_BUSY = _("%(person)s is not free from %(start)s to %(end)s: %(what)s, %(from)s to %(to)s.")
MSG_BUSY_LEAVE = _("on leave")
MSG_BUSY_OTHER = _("booked elsewhere")
MSG_BUSY_AUDIT = _("on the audit “%(audit)s”")
MSG_BUSY_RACE = _(
    "%(person)s was booked by someone else on an overlapping day a moment ago. Nothing was "
    "changed: reload the page and choose again."
)

DEADLOCK_RETRIES = 3


def person_name(user) -> str:
    """A team member as the messages name them: the name in its owner's order (王建华, Anna
    Schmidt: core.names), else the user name."""
    return names.person_name(user)


def _busy_label(booking) -> str:
    if booking.kind == BookingKind.LEAVE:
        return str(MSG_BUSY_LEAVE)
    if booking.kind == BookingKind.AUDIT and booking.audit is not None:
        return str(MSG_BUSY_AUDIT % {"audit": booking.audit})
    return str(MSG_BUSY_OTHER) + (f" ({booking.note})" if booking.note else "")


def busy_message(user, booking, start, end) -> str:
    """Why ``user`` is not free from ``start`` to ``end``: ``booking`` is in the way."""
    return str(
        MSG_BUSY
        % {
            "person": person_name(user),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "what": _busy_label(booking),
            "from": booking.starts_on.isoformat(),
            "to": booking.ends_on.isoformat(),
        }
    )


def overlapping_bookings(*, user_ids, start, end, audit=None):
    """Bookings of these users on any day from ``start`` to ``end`` (not ``audit``'s own)."""
    qs = Booking.objects.filter(auditor__in=user_ids, starts_on__lte=end, ends_on__gte=start)
    if audit is not None and audit.pk:
        qs = qs.exclude(audit=audit)
    return qs.select_related("audit__certification__client", "audit__certification__standard")


def _constraint_name(err: IntegrityError) -> str:
    cause = err.__cause__
    name = getattr(getattr(cause, "diag", None), "constraint_name", None)
    return name or str(err)


def _insert_booking(audit, user, role) -> None:
    """Insert one booking in a savepoint. Two teams booking the same person at once can
    deadlock inside the exclusion constraint's check (each waits for the other's row);
    PostgreSQL then aborts one insert (SQLSTATE 40P01). Its savepoint is rolled back and the
    insert tried again: it now waits for the other transaction and meets its booking as an
    overlap (IntegrityError), which the caller turns into a clear message."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with transaction.atomic():
                Booking.objects.create(
                    auditor=user,
                    kind=BookingKind.AUDIT,
                    audit=audit,
                    role=role,
                    starts_on=audit.planned_start,
                    ends_on=audit.planned_end,
                )
            return
        except OperationalError as err:
            deadlock = getattr(err.__cause__, "sqlstate", None) == "40P01"
            if not deadlock or attempt == DEADLOCK_RETRIES - 1:
                if deadlock:
                    raise AuditError(MSG_BUSY_RACE % {"person": person_name(user)}) from None
                raise


def write_bookings(audit, team) -> None:
    """Replace ``audit``'s bookings with one per team member (``team``: (user, role) pairs)
    for its planned days.

    Each insert runs in a savepoint: on PostgreSQL a clash with a booking written meanwhile by
    someone else (the exclusion constraint waits for their commit, then refuses) becomes a
    clear message naming the person, and the caller's transaction rolls everything back.
    """
    audit.bookings.all().delete()
    for user, role in team:
        try:
            _insert_booking(audit, user, role)
        except IntegrityError as err:
            if "booking_no_overlap" not in _constraint_name(err):
                raise
            clash = overlapping_bookings(
                user_ids=[user.pk], start=audit.planned_start, end=audit.planned_end, audit=audit
            ).first()
            if clash is None:
                raise AuditError(MSG_BUSY_RACE % {"person": person_name(user)}) from None
            raise AuditError(
                busy_message(user, clash, audit.planned_start, audit.planned_end)
            ) from None


def free_bookings(audit) -> None:
    """A cancelled audit frees its team's days."""
    audit.bookings.all().delete()


__all__ = ["free_bookings"]
