"""Who could fill a place on an audit's team: the suggestions on the team page. The same rules
as the team check (``teams``), asked the other way round, in a constant number of queries:
qualified for the standard and the client's areas on every day, not barred by a relationship,
not the certification's decision maker or a decider of this cycle, and free. Nearest first.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch

from ..geo import coordinates, distance_km
from ..impartiality import barring_relationships
from ..models import AuditorProfile, AuditRole, Qualification
from ..selectors.audit_page import auditor_users
from .bookings import overlapping_bookings, person_name
from .teams import POSITIONS


@dataclass
class Suggestion:
    """A qualified, impartial auditor free on the audit's days; ``distance_km`` None when a
    city is not known."""

    user: object
    profile: AuditorProfile
    distance_km: float | None
    qualifications: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return person_name(self.user)

    def qualification_labels(self) -> list[str]:
        return [
            f"IAF {q.technical_area.code:02d} {q.get_role_display()} (→ {q.valid_until})"
            for q in self.qualifications
        ]


def _target_city(audit) -> str:
    """Where the audit takes the team: the client's city; when the table does not know it,
    the first site to visit (central function first) whose city it knows, else the client's
    address (which names its city: "浙江省杭州市西湖区..."). The client's city when none is
    known (a distance then only when an auditor lives in that very city)."""
    client = audit.certification.client
    if coordinates(client.city) is not None:
        return client.city
    if audit.pk:
        for site in audit.sites.order_by("-is_central", "pk"):
            if coordinates(site.city) is not None:
                return site.city
    if coordinates(client.address) is not None:
        return client.address
    return client.city


def auditor_suggestions(
    *, audit, planned_start=None, planned_end=None, role=AuditRole.TEAM_LEADER
) -> list[Suggestion]:
    """The auditors (``selectors.audit_page.auditor_users``: people who hold the auditor's
    permission, not staff or decision makers with a profile) who could fill ``role`` on
    ``audit`` from ``planned_start`` to ``planned_end`` (default: its dates): qualified for
    the standard and at least one of the client's areas on every day, without a barring
    relationship, not the certification's decision maker or a decider of this cycle, and
    free. Nearest first (home city to where the audit is: ``_target_city``), unknown cities
    last. Constant queries."""
    start = planned_start or audit.planned_start
    end = planned_end or audit.planned_end
    cert = audit.certification
    client = cert.client
    roles = POSITIONS[AuditRole(role)]
    codes = list(client.technical_areas.values_list("code", flat=True))
    quals = Qualification.objects.filter(
        standard=cert.standard, role__in=roles, valid_from__lte=start, valid_until__gte=end
    )
    if codes:
        quals = quals.filter(technical_area__code__in=codes)
    profiles = (
        AuditorProfile.objects.filter(
            is_active=True,
            user__in=auditor_users().values("pk"),
            pk__in=quals.values("profile"),
        )
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "qualifications",
                queryset=quals.select_related("technical_area").order_by(
                    "technical_area__code", "role"
                ),
                to_attr="matching",
            )
        )
    )
    barred = {rel.profile_id for rel in barring_relationships(client=client, on=start)}
    busy = set(
        overlapping_bookings(
            user_ids=quals.values("profile__user"), start=start, end=end, audit=audit
        ).values_list("auditor_id", flat=True)
    )
    excluded = set(
        cert.decisions.filter(decided_by__isnull=False)
        .filter(decided_on__gte=cert.current_cycle_opened_on() or datetime.date.min)
        .values_list("decided_by_id", flat=True)
    )
    if cert.decision_maker_id:
        excluded.add(cert.decision_maker_id)
    city = _target_city(audit)
    result = [
        Suggestion(
            user=p.user,
            profile=p,
            distance_km=distance_km(p.home_city, city),
            qualifications=p.matching,
        )
        for p in profiles
        if p.pk not in barred and p.user_id not in busy and p.user_id not in excluded
    ]
    result.sort(key=lambda s: (s.distance_km is None, s.distance_km or 0.0, s.name))
    return result


__all__ = ["Suggestion", "auditor_suggestions"]
