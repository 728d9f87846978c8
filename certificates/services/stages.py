"""The audits a certification goes through, from its side: planning stage 1 and stage 2
(the audits app creates the audit), submitting the file for decision, and counting a closed
surveillance audit against the due dates."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audits.models import AuditKind
from audits.services import audit_create
from core.dates import add_months
from core.notes import Note

from ..bulk import certifications_log
from ..models import Certification, State
from .common import certification_transition

# The history row's transition name when a closed surveillance is counted (no transition of the
# model has it).
RECORD_SURVEILLANCE = "record_surveillance"
# The audit named by its kind (shown in the reader's language), start and certification: the
# same text as the audit's str(), which rows written before notes existed hold.
NOTE_SURVEILLANCE = Note(
    _(
        "Surveillance counted (%(kind)s %(start)s - %(certification)s); next surveillance due: "
        "%(due)s"
    ),
    kind=AuditKind,
)


def certification_plan_stage1(
    *,
    certification,
    planned_start,
    planned_end,
    team_leader,
    members=(),
    technical_experts=(),
    justification="",
    acknowledge_warnings=True,
    by,
    on,
):
    """Plan stage 1; a second stage 1 needs a justification (impartiality risk). The team goes
    through the team rules (audits.services.teams); the audit time comes from the
    application's audit-time calculation."""
    name = "repeat_stage1" if certification.state == State.STAGE1 else "begin_stage1"
    return _transition_and_plan(
        certification,
        name,
        AuditKind.STAGE1,
        {},
        planned_start=planned_start,
        planned_end=planned_end,
        team_leader=team_leader,
        members=members,
        technical_experts=technical_experts,
        justification=justification,
        acknowledge_warnings=acknowledge_warnings,
        by=by,
        on=on,
    )


def certification_plan_stage2(
    *,
    certification,
    planned_start,
    planned_end,
    team_leader,
    members=(),
    technical_experts=(),
    justification="",
    acknowledge_warnings=True,
    by,
    on,
):
    """Plan stage 2: after stage 1 closed as ready; or a new stage 2 when the decision cannot
    be taken (majors past their limit) or after the restoration window."""
    name = "begin_stage2" if certification.state == State.STAGE1 else "new_stage2"
    return _transition_and_plan(
        certification,
        name,
        AuditKind.STAGE2,
        # The stage 2 transitions check the planned start (against stage 1's validity).
        {"planned_start": planned_start},
        planned_start=planned_start,
        planned_end=planned_end,
        team_leader=team_leader,
        members=members,
        technical_experts=technical_experts,
        justification=justification,
        acknowledge_warnings=acknowledge_warnings,
        by=by,
        on=on,
    )


def _transition_and_plan(
    certification, name, kind, transition_extra, *, by, on, justification, **audit
):
    """Take the stage transition ``name`` and create its audit of ``kind``, in one
    transaction: both happen or neither."""
    with transaction.atomic():
        cert = certification_transition(
            certification,
            name,
            by=by,
            on=on,
            reason=justification,
            justification=justification,
            **transition_extra,
        )
        planned = audit_create(certification=cert, kind=kind, justification=justification, **audit)
    return cert, planned


def certification_submit_for_decision(*, certification, by, on) -> Certification:
    with transaction.atomic():
        return certification_transition(certification, "submit_for_decision", by=by, on=on)


def certification_record_surveillance(certification, *, audit, by=None) -> Certification:
    """A surveillance audit closed: when it was held for the surveillance due (ended within
    the 12 months before the due date, or after it: held late), count it and move the next
    due date on.

    Surveillance is a minimum: at least one in each calendar year of the cycle but the
    recertification year (ISO/IEC 17021-1 9.6.2.2), one per due date of
    ``surveillance_due_dates`` (the first within 12 months of the decision). A second one in
    the same period is allowed but neither counts nor stands for the next due date: the next
    year still needs its own, and a due date with none is overdue
    (``CertificationQuerySet.surveillance_overdue``). ``by``: who closed the audit (the history
    row's author; None: the system)."""
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    if audit.cycle != cert.cycle:
        return cert
    due = cert.next_surveillance_due
    held = audit.actual_end or audit.planned_end
    if due is None or held is None or held < add_months(due, -12):
        return cert  # an additional surveillance: the due date stays
    cert.surveillances_done += 1
    dues = cert.surveillance_due_dates()
    cert.next_surveillance_due = (
        dues[cert.surveillances_done] if cert.surveillances_done < len(dues) else None
    )
    cert.revision += 1
    cert.save(update_fields=["surveillances_done", "next_surveillance_due", "revision"])
    # Not a transition, but a change like any other: a history row.
    certifications_log(
        [cert],
        transition=RECORD_SURVEILLANCE,
        by=by,
        description=NOTE_SURVEILLANCE.text(
            kind=audit.kind,
            start=audit.planned_start,
            certification=audit.certification,
            due=cert.next_surveillance_due.isoformat() if cert.next_surveillance_due else "-",
        ),
    )
    return cert
