"""Writes of the clients app that are a use case of their own (the client's plain data, its
sites and contacts, are edited as the admin does).

``penalty_record``: an administrative penalty staff found for the client (e.g. in the national
enterprise credit information system). It bars acceptance of an application when it falls in
the operation of the management system or the year before it (shared/domain.md, Intake 4;
clients.models.Penalty), so it is a dated fact of the past, recorded by who may.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.dates import EARLIEST_DATE, LATEST_DATE
from core.errors import DomainError

from .models import Client, Penalty

ADD_PENALTY = "clients.add_penalty"

MSG_NO_PERMISSION = _("You do not have permission to record an administrative penalty.")
MSG_NO_DATE = _("Give the date of the penalty decision.")
MSG_IMPLAUSIBLE = _("%(day)s is not a plausible date: use a date from %(first)s to %(last)s.")
MSG_FUTURE = _("%(day)s is after today (%(today)s): a penalty is recorded once it was decided.")
MSG_NO_AUTHORITY = _("Name the authority that imposed the penalty.")
MSG_NO_DECISION = _("Say what was found and the penalty.")


class ClientError(DomainError):
    """A change to a client refused: ``messages`` say why."""


def penalty_problems(*, decided_on, authority: str, decision: str, on: datetime.date) -> list:
    """Why a penalty with these values cannot be recorded on ``on`` (empty: it can)."""
    problems = []
    if decided_on is None:
        problems.append(str(MSG_NO_DATE))
    elif not EARLIEST_DATE <= decided_on <= LATEST_DATE:
        problems.append(
            str(
                MSG_IMPLAUSIBLE
                % {
                    "day": decided_on.isoformat(),
                    "first": EARLIEST_DATE.isoformat(),
                    "last": LATEST_DATE.isoformat(),
                }
            )
        )
    elif decided_on > on:
        problems.append(str(MSG_FUTURE % {"day": decided_on.isoformat(), "today": on.isoformat()}))
    if not (authority or "").strip():
        problems.append(str(MSG_NO_AUTHORITY))
    if not (decision or "").strip():
        problems.append(str(MSG_NO_DECISION))
    return problems


def penalty_record(
    *,
    client: Client,
    decided_on: datetime.date,
    authority: str,
    decision: str,
    reference: str = "",
    by,
    on: datetime.date,
) -> Penalty:
    """Record a penalty of ``client`` found by ``by`` (who holds clients.add_penalty), dated
    on or before ``on`` (today, from the caller)."""
    if by is not None and not (by.is_active and by.has_perm(ADD_PENALTY)):
        raise ClientError(MSG_NO_PERMISSION)
    problems = penalty_problems(
        decided_on=decided_on, authority=authority, decision=decision, on=on
    )
    if problems:
        raise ClientError(problems)
    with transaction.atomic():
        return Penalty.objects.create(
            client=client,
            decided_on=decided_on,
            authority=authority.strip(),
            reference=(reference or "").strip(),
            decision=decision.strip(),
        )


__all__ = ["ClientError", "penalty_problems", "penalty_record"]
