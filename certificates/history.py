"""Was a certificate valid on a given date? Answered from the recorded history only.

The public verification page asks "was certificate X valid on date D?". The answer
comes from what the services recorded, never from today's state projected backwards:

- the version in effect on D is the newest version whose effective date is on or before D
  (a revised certificate replaces the old one from its effective date); none: not yet issued;
- decisions after that version was issued and on or before D: ``suspend`` makes it suspended
  from its date, ``lift_suspension`` active again, ``withdraw`` withdrawn (or cancelled, by
  its ending) for good;
- past the version's expiry date (which covers the gap_from..gap_to of a restoration: the old
  version has expired and the restored one is not yet effective), or on or after
  ``Certification.expired_on`` while it is the newest version: expired.

``validity_on`` is a pure function of rows already loaded, so the page adds one query (the
decisions, ``decisions_for_history``) whatever the history's length.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from . import public_status as ps
from .models import Decision, DecisionOutcome, Ending

HISTORY_OUTCOMES = (
    DecisionOutcome.SUSPEND,
    DecisionOutcome.LIFT_SUSPENSION,
    DecisionOutcome.WITHDRAW,
)


@dataclass(frozen=True)
class Validity:
    """The answer for one date. ``status`` is a public status (public_status.ACTIVE, ...) or
    None when no version was in effect yet; ``since`` is when a non-active status began."""

    on: datetime.date
    certificate: object | None  # the Certificate version in effect on that date
    status: str | None
    since: datetime.date | None = None

    @property
    def issued(self) -> bool:
        return self.certificate is not None

    @property
    def valid(self) -> bool:
        return self.status == ps.ACTIVE


def decisions_for_history(certification_id) -> list[tuple[str, datetime.date, int, str]]:
    """(outcome, decided_on, pk, ending) of the decisions that change validity: one query.
    Only the outcome, date and kind of ending are read: reasons and decision makers are never
    public."""
    return list(
        Decision.objects.filter(
            certification_id=certification_id, outcome__in=HISTORY_OUTCOMES
        ).values_list("outcome", "decided_on", "pk", "ending")
    )


def _ended(ending: str) -> str:
    """The public status a withdraw decision leaves: cancelled for an ending at the client's
    request or its ceasing (注销), else withdrawn (撤销)."""
    return ps.CANCELLED if ending and Ending(ending).is_cancellation else ps.WITHDRAWN


def validity_on(on: datetime.date, *, versions, decisions, certification) -> Validity:
    """Which version was in effect on ``on`` and whether it was valid (see the module doc).

    ``versions``: every Certificate version of the certification; ``decisions``: the rows of
    ``decisions_for_history``; ``certification``: for ``expired_on``.
    """
    ordered = sorted(versions, key=lambda v: (v.effective_date, v.version))
    in_effect = None
    for version in ordered:
        if version.effective_date <= on:
            in_effect = version
    if in_effect is None:
        return Validity(on=on, certificate=None, status=None)

    # Decisions taken after this version was issued (same day: after its issuing decision).
    issued_at = (in_effect.effective_date, in_effect.decision_id or 0)
    status, since = ps.ACTIVE, None
    for outcome, decided_on, pk, ending in sorted(decisions, key=lambda d: (d[1], d[2])):
        if (decided_on, pk) <= issued_at or decided_on > on:
            continue
        if outcome == DecisionOutcome.SUSPEND and status == ps.ACTIVE:
            status, since = ps.SUSPENDED, decided_on
        elif outcome == DecisionOutcome.LIFT_SUSPENSION and status == ps.SUSPENDED:
            status, since = ps.ACTIVE, None
        elif outcome == DecisionOutcome.WITHDRAW:
            status, since = _ended(ending), decided_on
            break
    if status in (ps.WITHDRAWN, ps.CANCELLED):
        return Validity(on=on, certificate=in_effect, status=status, since=since)

    newest = max(versions, key=lambda v: v.version)
    expired_on = certification.expired_on if in_effect.pk == newest.pk else None
    if on > in_effect.expiry_date:
        # Expiry ends a suspension too (Certification.expire clears it).
        return Validity(
            on=on,
            certificate=in_effect,
            status=ps.EXPIRED,
            since=in_effect.expiry_date + datetime.timedelta(days=1),
        )
    if expired_on is not None and expired_on <= on:
        return Validity(on=on, certificate=in_effect, status=ps.EXPIRED, since=expired_on)
    return Validity(on=on, certificate=in_effect, status=status, since=since)
