"""Conflict of interest: one rule for auditing and for deciding (ISO/IEC 17021-1 5.2, 7.2.8,
9.5.2; shared/domain.md, Auditors and Decision).

Nobody who gave the client consultancy, or was employed by it, in the last
CONFLICT_OF_INTEREST_YEARS (policy, default 2) audits it or takes a certification decision on
it. A relationship bars while it is ongoing and until CONFLICT_OF_INTEREST_YEARS after it ended
(``conflict_until``): on that day the person may act again. The audit side
(``audits.services.teams``) asks on the audit's first day, the decision side (every transition
of ``certificates.Certification`` with permission ``decide_certification``) on the decision
date. Relationships of other kinds (internal audit, training) do not bar: the team page shows
them as warnings.
"""

import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.dates import add_years
from core.names import person_name
from core.policy import policy

from .models import BARRING_RELATIONSHIPS, RelationshipDeclaration

MSG_DECIDE_ONGOING = _(
    "%(person)s has an ongoing %(kind)s relationship with %(client)s (since %(since)s) and may "
    "not take a certification decision on it."
)
MSG_DECIDE_RECENT = _(
    "%(person)s had a %(kind)s relationship with %(client)s from %(since)s to %(ended)s, less "
    "than %(years)d years before this decision (%(on)s): not before %(until)s may they take a "
    "certification decision on it."
)


def conflict_until(rel) -> datetime.date | None:
    """The first day ``rel`` no longer bars (None: ongoing, it bars)."""
    if rel.ended_on is None:
        return None
    return add_years(rel.ended_on, policy("CONFLICT_OF_INTEREST_YEARS"))


def is_relevant(rel, *, on: datetime.date) -> bool:
    """Whether ``rel`` still counts on ``on``: ongoing, or ended less than
    CONFLICT_OF_INTEREST_YEARS before."""
    until = conflict_until(rel)
    return until is None or until > on


def bars(rel, *, on: datetime.date) -> bool:
    """Whether ``rel`` bars its person from auditing or deciding for its client on ``on``."""
    return rel.kind in BARRING_RELATIONSHIPS and is_relevant(rel, on=on)


def barring_relationships(*, client, on: datetime.date, users=None) -> list:
    """The relationships that bar someone (of ``users``, default anyone) from auditing or
    deciding for ``client`` on ``on``, with their profile's user."""
    years = policy("CONFLICT_OF_INTEREST_YEARS")
    qs = RelationshipDeclaration.objects.filter(client=client, kind__in=BARRING_RELATIONSHIPS)
    # A generous bound in SQL (leap days), the exact rule in ``bars``.
    qs = qs.filter(
        Q(ended_on__isnull=True)
        | Q(ended_on__gte=add_years(on, -years) - datetime.timedelta(days=2))
    )
    if users is not None:
        qs = qs.filter(profile__user__in=users)
    return [r for r in qs.select_related("profile__user") if bars(r, on=on)]


def _name(user) -> str:
    return person_name(user)


def decision_conflicts(user, *, client, on: datetime.date) -> list[str]:
    """Why ``user`` may not take a certification decision for ``client`` on ``on``: each
    barring relationship, named with its dates (empty: no conflict of interest)."""
    if user is None or user.pk is None:
        return []
    messages = []
    for rel in barring_relationships(client=client, on=on, users=[user]):
        params = {
            "person": _name(user),
            "kind": rel.get_kind_display(),
            "client": client,
            "since": rel.started_on.isoformat(),
        }
        until = conflict_until(rel)
        if until is None:
            messages.append(str(MSG_DECIDE_ONGOING % params))
        else:
            params.update(
                ended=rel.ended_on.isoformat(),
                years=policy("CONFLICT_OF_INTEREST_YEARS"),
                on=on.isoformat(),
                until=until.isoformat(),
            )
            messages.append(str(MSG_DECIDE_RECENT % params))
    return messages


__all__ = [
    "barring_relationships",
    "bars",
    "conflict_until",
    "decision_conflicts",
    "is_relevant",
]
