"""The audit programme of a certification cycle (ISO/IEC 17021-1 9.1.3, 9.6.2, 9.6.3).

On the certification decision, and on each recertification or restoration, the whole cycle
is planned at once as audits with proposed dates (``dates_confirmed=False``) and no team:

- surveillance k (k = 1 .. CYCLE_YEARS-1), due by the certification's k-th surveillance due
  date (the first FIRST_SURVEILLANCE_MONTHS after the cycle start, then every 12 months, so one
  falls in each calendar year but the recertification year), planned SURVEILLANCE_PLAN_MONTHS
  after the cycle start and 12 months after the previous one;
- recertification, planned RECERTIFICATION_AUDIT_MONTHS before expiry, with planning starting
  RECERTIFICATION_PLANNING_MONTHS before expiry, due by the expiry date (audit and decision
  before expiry).

Each carries its audit time from the application's latest audit-time calculation (IAF MD 5:
surveillance and recertification figures) with a trace, and its multi-site sample (IAF MD 1:
the central function always; a recorded seed; sites not yet visited in the cycle preferred).
Generating again never duplicates: one audit per certification, cycle, kind and year.

Staff move a planned audit with ``audit_reschedule`` within the rules, and confirm the dates
with ``audit_confirm_dates``.
"""

import datetime
import hashlib
import math
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.dates import add_months
from core.policy import policy

from ..audit_time.display import as_decimal as _decimal
from ..audit_time.display import stage_onsite, trace_line
from ..errors import AuditError
from ..models import Audit, AuditKind, AuditState
from ..sampling import draw_sample
from .bookings import free_bookings
from .teams import rebook_team

MSG_NO_PERMISSION = _("You do not have permission to plan audits.")
MSG_NOT_PLANNED = _("Only a planned audit can be moved (this one is “%(state)s”).")
MSG_DATES = _("The planned end is before the planned start.")
MSG_LATE_NEEDS_REASON = _(
    "The audit is due by %(due)s: ending it on %(end)s is late. Record the reason for holding "
    "it after its deadline."
)
MSG_BEFORE_CYCLE = _("A surveillance cannot be held before the cycle starts (%(day)s).")
MSG_RECERT_AFTER_WINDOW = _(
    "The certificate expires on %(expiry)s and can be restored only until %(window)s: a "
    "recertification audit after that date cannot renew it (plan a new stage 2 instead)."
)
# Keys of an AuditTimeCalculation's results[str(standard.pk)] for each kind of audit:
# (auditor-days, on-site minimum). The stages' "onsite_min" is the initial audit's as a whole
# (stage 1 + stage 2): audit_time.display.stage_onsite splits it between them.
_RESULT_KEYS: dict[str, tuple[str, str]] = {
    AuditKind.STAGE1: ("stage1", "onsite_min"),
    AuditKind.STAGE2: ("stage2", "onsite_min"),
    AuditKind.SURVEILLANCE: ("surveillance", "surveillance_onsite_min"),
    AuditKind.RECERTIFICATION: ("recertification", "recertification_onsite_min"),
}
_SAMPLE_KIND = {
    AuditKind.STAGE2: "initial",
    AuditKind.SURVEILLANCE: "surveillance",
    AuditKind.RECERTIFICATION: "recertification",
}


# -- audit time -------------------------------------------------------------------------------
def latest_calculation(certification):
    """The application's current audit-time calculation (the latest), or None."""
    application = certification.application
    if application is None:
        return None
    return application.audit_time_calculations.order_by("-calculated_on", "-pk").first()


def audit_time_for(certification, kind: str, *, calculation=None) -> tuple:
    """(audit days, on-site days, trace lines) for an audit of ``kind`` from the latest
    calculation; empty days with a trace line saying why when there is none. The trace lines
    are data (audits.audit_time.display.trace_line), printed in the reader's language."""
    calc = calculation if calculation is not None else latest_calculation(certification)
    if calc is None:
        return None, None, [trace_line("no_calculation")]
    figures = (calc.results or {}).get(str(certification.standard_id))
    days_key, onsite_key = _RESULT_KEYS.get(kind, (None, None))
    days = _decimal(figures.get(days_key)) if figures and days_key else None
    if days is None or not figures:
        return (
            None,
            None,
            [
                trace_line(
                    "no_standard",
                    on=calc.calculated_on.isoformat(),
                    standard=str(certification.standard),
                )
            ],
        )
    onsite = _decimal(figures.get(onsite_key)) if onsite_key else None
    stages = None
    if kind in (AuditKind.STAGE1, AuditKind.STAGE2):
        stages = stage_onsite(figures)
        onsite = None if stages is None else stages[1 if kind == AuditKind.STAGE1 else 2]
    common = {"on": calc.calculated_on.isoformat(), "pk": calc.pk, "what": str(kind), "days": days}
    if onsite is None:
        trace = [trace_line("from_calculation_no_onsite", **common)]
    else:
        trace = [trace_line("from_calculation", onsite=onsite, **common)]
    if stages is not None:
        trace.append(
            trace_line(
                "stage_onsite",
                whole=stages[0],
                stage1=stages[1],
                stage1_days=_decimal(figures.get("stage1")),
                stage2=stages[2],
                stage2_days=_decimal(figures.get("stage2")),
            )
        )
    return days, onsite, trace


def apply_audit_time(audit, *, calculation=None) -> None:
    """Set ``audit``'s audit time and trace from the latest calculation (saved)."""
    days, onsite, trace = audit_time_for(audit.certification, audit.kind, calculation=calculation)
    audit.audit_days, audit.onsite_days, audit.audit_time_trace = days, onsite, trace
    audit.save(update_fields=["audit_days", "onsite_days", "audit_time_trace"])


# -- multi-site sample ----------------------------------------------------------------------------
def sample_seed(certification, *, cycle: int, kind: str, year: int | None) -> int:
    """A seed derived from the certification, cycle, kind and year: the same draw every time,
    and anyone can repeat it from the trace."""
    text = f"{certification.pk}:{cycle}:{kind}:{year or 0}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big")


def _sites_in_scope(certification):
    sites = []
    if certification.application_id:
        sites = list(certification.application.sites.all())
    return sites or list(certification.client.sites.all())


def apply_sample(audit, *, visited=()) -> None:
    """Draw and store ``audit``'s multi-site sample (IAF MD 1): the central function always,
    the others by draw_sample with a seed recorded in the trace."""
    kind = _SAMPLE_KIND.get(audit.kind)
    if kind is None:
        return
    sites = _sites_in_scope(audit.certification)
    if not sites:
        return
    central = next((s.pk for s in sites if s.is_central), None)
    others = [s.pk for s in sites if s.pk != central]
    seed = sample_seed(
        audit.certification, cycle=audit.cycle, kind=audit.kind, year=audit.programme_year
    )
    sample = draw_sample(kind=kind, central=central, others=others, visited=visited, seed=seed)
    audit.sample_trace = {**sample.trace(), "visited_before": sorted(set(visited))}
    audit.save(update_fields=["sample_trace"])
    audit.sites.set(sample.site_ids)


def _visited(certification, cycle, *, exclude=None) -> set[int]:
    qs = Audit.sites.through.objects.filter(
        audit__certification=certification, audit__cycle=cycle
    ).exclude(audit__state=AuditState.CANCELLED)
    if exclude is not None:
        qs = qs.exclude(audit=exclude)
    return set(qs.values_list("site_id", flat=True))


# -- the programme ---------------------------------------------------------------------------------
def _days_needed(days: Decimal | None) -> int:
    """Calendar days proposed for an audit: one auditor's on-site days, at least one. Staff
    adjust the window when they confirm the dates and the team."""
    return max(1, math.ceil(days)) if days else 1


def _window(start, due, days):
    end = start + datetime.timedelta(days=_days_needed(days) - 1)
    if due and end > due:  # keep the proposal inside the deadline
        start, end = start - (end - due), due
    return start, end


def programme_plan(certification) -> list[dict]:
    """The cycle's programme as data (kind, year, planning_from, planned_start, due_by), from
    the certification's cycle start and expiry. Nothing is written."""
    cert = certification
    if not cert.cycle_start or not cert.expiry_date:
        return []
    plan = []
    planned = add_months(cert.cycle_start, policy("SURVEILLANCE_PLAN_MONTHS"))
    for year, due in enumerate(cert.surveillance_due_dates(), start=1):
        plan.append(
            {
                "kind": AuditKind.SURVEILLANCE,
                "year": year,
                "planning_from": None,
                "planned_start": planned,
                "due_by": due,
            }
        )
        planned = add_months(planned, 12)
    plan.append(
        {
            "kind": AuditKind.RECERTIFICATION,
            "year": policy("CYCLE_YEARS"),
            "planning_from": add_months(
                cert.expiry_date, -policy("RECERTIFICATION_PLANNING_MONTHS")
            ),
            "planned_start": add_months(cert.expiry_date, -policy("RECERTIFICATION_AUDIT_MONTHS")),
            "due_by": cert.expiry_date,
        }
    )
    return plan


def programme_generate(*, certification) -> list[Audit]:
    """Write the current cycle's programme audits that do not exist yet (idempotent per
    certification, cycle, kind and year). Called by the certification services inside their
    transaction, with the certification locked. Returns the audits created."""
    cert = certification
    existing = set(
        Audit.objects.filter(
            certification=cert, cycle=cert.cycle, programme_year__isnull=False
        ).values_list("kind", "programme_year")
    )
    calc = latest_calculation(cert)
    created = []
    for item in programme_plan(cert):
        if (item["kind"], item["year"]) in existing:
            continue
        days, onsite, trace = audit_time_for(cert, item["kind"], calculation=calc)
        start, end = _window(item["planned_start"], item["due_by"], onsite or days)
        audit = Audit.objects.create(
            certification=cert,
            kind=item["kind"],
            cycle=cert.cycle,
            planned_start=start,
            planned_end=end,
            dates_confirmed=False,
            programme_year=item["year"],
            planning_from=item["planning_from"],
            due_by=item["due_by"],
            audit_days=days,
            onsite_days=onsite,
            audit_time_trace=trace,
        )
        # Surveillance 2 prefers sites surveillance 1 did not visit; recertification, sites
        # not visited anywhere in the cycle.
        apply_sample(audit, visited=_visited(cert, cert.cycle, exclude=audit))
        created.append(audit)
    return created


def programme_audits(certification, *, cycle=None):
    """The programme audits of a cycle (default: the current), in order."""
    return (
        Audit.objects.filter(
            certification=certification,
            cycle=certification.cycle if cycle is None else cycle,
            programme_year__isnull=False,
        )
        .select_related("team_leader")
        .order_by("programme_year", "planned_start")
    )


def programme_cancel(*, certification, reason, by, on, kinds=None, cycle=None) -> list[Audit]:
    """Cancel the still-planned programme audits of a cycle (default: the current; of
    ``kinds``, default all), recording ``reason``; their bookings are freed. Part of a
    certification decision (withdrawal, expiry, a new cycle), so the decider's permission for
    that decision covers it."""
    qs = Audit.objects.select_for_update().filter(
        certification=certification,
        cycle=certification.cycle if cycle is None else cycle,
        programme_year__isnull=False,
        state=AuditState.PLANNED,
    )
    if kinds:
        qs = qs.filter(kind__in=kinds)
    cancelled = []
    for audit in qs.order_by("pk"):
        audit.rule_context(on=on, by=by, reason=str(reason))
        audit.cancel(by=by, description=str(reason))
        audit.save()
        free_bookings(audit)
        cancelled.append(audit)
    return cancelled


# -- moving and confirming ---------------------------------------------------------------------
def reschedule_problems(audit, *, planned_start, planned_end, reason="") -> list[str]:
    """Why ``audit`` may not move to these dates (empty: it may).

    - only a planned audit moves;
    - ending after ``due_by`` is allowed only with a recorded reason (then flagged late);
    - a surveillance is not held before the cycle starts. Surveillance is a minimum (at least
      once per calendar year, 9.6.2.2): a second one in the same year is allowed; a year
      without one is what is flagged (the certification's next_surveillance_due, which a
      surveillance moves on only for the due date it was held for, then the overdue
      reminders);
    - a recertification ending after expiry is late (reason needed: the certificate expires
      meanwhile and can only be restored), and after the restoration window it is refused,
      since only a new stage 2 can lead back then.
    """
    problems = []
    if audit.state != AuditState.PLANNED:
        problems.append(str(MSG_NOT_PLANNED % {"state": audit.get_state_display()}))
    if planned_end < planned_start:
        problems.append(str(MSG_DATES))
        return problems
    cert = audit.certification
    if (
        audit.kind == AuditKind.SURVEILLANCE
        and cert.cycle_start
        and planned_start < cert.cycle_start
    ):
        problems.append(str(MSG_BEFORE_CYCLE % {"day": cert.cycle_start.isoformat()}))
    if audit.kind == AuditKind.RECERTIFICATION and cert.expiry_date and audit.cycle == cert.cycle:
        window = cert.restoration_window_end()
        if window and planned_end > window:
            problems.append(
                str(
                    MSG_RECERT_AFTER_WINDOW
                    % {"expiry": cert.expiry_date.isoformat(), "window": window.isoformat()}
                )
            )
    if audit.due_by and planned_end > audit.due_by and not (reason or "").strip():
        problems.append(
            str(
                MSG_LATE_NEEDS_REASON
                % {"due": audit.due_by.isoformat(), "end": planned_end.isoformat()}
            )
        )
    return problems


def move_audit(audit, *, planned_start, planned_end, reason="") -> Audit:
    """Move the locked ``audit`` (inside the caller's transaction): rules, then the dates, the
    late reason and the team's bookings (rechecked on the new days)."""
    problems = reschedule_problems(
        audit, planned_start=planned_start, planned_end=planned_end, reason=reason
    )
    if problems:
        raise AuditError(*problems)
    audit.planned_start, audit.planned_end = planned_start, planned_end
    late = bool(audit.due_by and planned_end > audit.due_by)
    audit.late_reason = (reason or "").strip() if late else ""
    audit.save(update_fields=["planned_start", "planned_end", "late_reason"])
    rebook_team(audit)
    return audit


def _lock_audit(audit, by):
    if by is not None and not by.has_perm("audits.manage_audit"):
        raise AuditError(MSG_NO_PERMISSION)
    return (
        Audit.objects.select_for_update(of=("self",))
        .select_related("certification__client", "certification__standard")
        .get(pk=audit.pk)
    )


def audit_reschedule(
    *, audit, planned_start, planned_end, by, on: datetime.date, reason: str = ""
) -> Audit:
    """Staff move a planned audit (see ``reschedule_problems`` for the rules). Moving its last
    day past ``due_by`` needs ``reason``, kept in ``late_reason`` and flagged by
    ``Audit.is_late``. The team stays and is booked on the new days; if someone on it is not
    free (or no longer qualified) then, nothing changes and the message says who and why."""
    with transaction.atomic():
        locked = _lock_audit(audit, by)
        return move_audit(
            locked, planned_start=planned_start, planned_end=planned_end, reason=reason
        )


def audit_confirm_dates(
    *,
    audit,
    by,
    on: datetime.date,
    planned_start=None,
    planned_end=None,
    reason: str = "",
) -> Audit:
    """Confirm the audit's dates with the client (optionally moving it first, by the same
    rules as ``audit_reschedule``): it can start only once its dates are confirmed."""
    with transaction.atomic():
        locked = _lock_audit(audit, by)
        start = planned_start or locked.planned_start
        end = planned_end or locked.planned_end
        if (start, end) != (locked.planned_start, locked.planned_end) or (
            reason and locked.is_late
        ):
            move_audit(locked, planned_start=start, planned_end=end, reason=reason)
        elif locked.state != AuditState.PLANNED:
            raise AuditError(MSG_NOT_PLANNED % {"state": locked.get_state_display()})
        elif locked.is_late and not locked.late_reason.strip():
            raise AuditError(
                MSG_LATE_NEEDS_REASON % {"due": locked.due_by.isoformat(), "end": end.isoformat()}
            )
        locked.dates_confirmed = True
        locked.save(update_fields=["dates_confirmed"])
    return locked


def audit_set_dates(
    *, audit, planned_start, planned_end, confirm: bool, by, on: datetime.date, reason: str = ""
) -> Audit:
    """What a dates form asks for: move the planned audit, and confirm the dates with the
    client when ``confirm`` (``audit_confirm_dates``), else only move it (``audit_reschedule``)."""
    step = audit_confirm_dates if confirm else audit_reschedule
    return step(
        audit=audit,
        planned_start=planned_start,
        planned_end=planned_end,
        reason=reason,
        by=by,
        on=on,
    )


__all__ = [
    "apply_audit_time",
    "apply_sample",
    "audit_confirm_dates",
    "audit_reschedule",
    "audit_set_dates",
    "audit_time_for",
    "latest_calculation",
    "programme_audits",
    "programme_cancel",
    "programme_generate",
    "programme_plan",
    "reschedule_problems",
    "sample_seed",
]
