"""The certification's actions, for every interface (the staff admin and the workspace): for
each transition of ``Certification.state`` a person takes, its small form and the service it
calls (core/actions.py: ``offers``, ``take``). ``extend_scope`` is not here: it is taken only
as the decision on a scope extension (certificates/services/scope_extensions.py).

``notices_after`` says what a person should know once an action is done: a certificate's PDF
still being rendered, a planned stage short of its audit time (warnings, never refusals).
"""

import datetime
import math
from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from audits.models import Audit, AuditKind
from audits.services import audit_time_for, audit_time_shortfall, auditor_suggestions
from certificates import services as svc
from certificates.documents import certificate_pdf_pending
from certificates.models import Certificate, Ending
from core.actions import (
    ActionTable,
    OptionalReasonForm,
    ReasonForm,
    TransitionAction,
    TransitionForm,
)
from core.dates import local_today
from core.names import person_name
from infra.queueing import next_sweep_at

# How many working days ahead the stage-plan form looks for a day its team leader is free.
PLAN_LOOKAHEAD_DAYS = 15


def _auditors():
    """People with an auditor profile (the team rules refuse anyone else)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, auditor_profile__isnull=False)
        .order_by("last_name", "first_name", "username")
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_name(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return person_name(obj)


class StagePlanForm(TransitionForm):
    planned_start = forms.DateField(
        label=_("Planned start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_end = forms.DateField(
        label=_("Planned end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    team_leader = PersonChoiceField(label=_("Team leader"), queryset=_auditors())
    members = PeopleChoiceField(label=_("Team members"), queryset=_auditors(), required=False)
    technical_experts = PeopleChoiceField(
        label=_("Technical experts"), queryset=_auditors(), required=False
    )
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required for a repeated stage 1, or a stage 2 long after stage 1."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("team_leader", "members", "technical_experts"):
            if name in self.fields:
                self.fields[name].queryset = _auditors()

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end is before the planned start."))
        return data


class ScopeForm(ReasonForm):
    scope = forms.CharField(label=_("New scope"), widget=forms.Textarea(attrs={"rows": 4}))


class SanctionForm(ReasonForm):
    """Suspension: the reason, and whether the client asked for it (then it is not for its own
    failings and does not bar a new application, CNCA-QMS-01:2025)."""

    at_client_request = forms.BooleanField(
        label=_("At the client's request"),
        required=False,
        help_text=_("Suspended because the client asked for it."),
    )


class WithdrawForm(ReasonForm):
    """Ending a certification: the kind of ending is asked, never assumed. Withdrawn (撤销) is
    for failing the requirements and bars a new application for a while (CNCA-QMS-01:2025);
    cancelled (注销, at the client's request or because it ceased the certified activities)
    does not, and is published as Cancelled (IAF CertSearch)."""

    ending = forms.ChoiceField(
        label=_("Kind of ending"),
        choices=[("", "---------"), *Ending.choices],
        help_text=_(
            "Withdrawn: the requirements are no longer met. Cancelled: at the client's "
            "request, or the client ceased the certified activities."
        ),
    )


# -- the stage plan's proposal: dates and team leader -------------------------------------------
def next_working_day(day: datetime.date) -> datetime.date:
    """The first day after ``day`` from Monday to Friday."""
    day += datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def stage_length(cert, kind) -> int:
    """Calendar days a stage is planned over: its audit days (the application's audit-time
    calculation) rounded up, at least one."""
    days, _onsite, _trace = audit_time_for(cert, kind)
    return max(1, math.ceil(days)) if days else 1


def suggested_stage_plan(cert, kind) -> dict:
    """What the stage-plan form proposes (the person may change all of it): from the next
    working day (stage 2: not before the day after stage 1 ended) the first day the team
    leader is free for the whole stage, the end after the stage's audit days, and the team
    leader: the top suggestion (audits.services.auditor_suggestions: qualified, impartial,
    free, nearest), for stage 2 stage 1's team leader when free (they know the client)."""
    length = stage_length(cert, kind)
    day = next_working_day(local_today())
    keep = None
    if kind == AuditKind.STAGE2:
        stage1 = cert.latest_stage1()
        if stage1 is not None:
            ended = stage1.actual_end or stage1.planned_end
            if ended and ended >= day:
                day = next_working_day(ended)
            keep = stage1.team_leader_id
    probe = Audit(certification=cert, kind=kind)  # not saved: whom the rules would allow
    first = None
    for _day in range(PLAN_LOOKAHEAD_DAYS):
        end = day + datetime.timedelta(days=length - 1)
        suggestions = auditor_suggestions(audit=probe, planned_start=day, planned_end=end)
        chosen = next((s for s in suggestions if s.user.pk == keep), None)
        if chosen is not None or (suggestions and keep is None):
            return {
                "planned_start": day,
                "planned_end": end,
                "team_leader": (chosen or suggestions[0]).user.pk,
            }
        if suggestions and first is None:
            first = {
                "planned_start": day,
                "planned_end": end,
                "team_leader": suggestions[0].user.pk,
            }
        day = next_working_day(day)
    if first is not None:
        return first
    start = next_working_day(local_today())
    return {"planned_start": start, "planned_end": start + datetime.timedelta(days=length - 1)}


def _stage_plan(kind):
    return lambda obj: suggested_stage_plan(obj, kind)


# -- adapters: the form's cleaned data -> the service's keywords ------------------------------
def _plan(service):
    def run(obj, d, user, on):
        return service(
            certification=obj,
            planned_start=d["planned_start"],
            planned_end=d["planned_end"],
            team_leader=d["team_leader"],
            members=d["members"],
            technical_experts=d.get("technical_experts") or (),
            justification=d["justification"],
            by=user,
            on=on,
        )

    return run


def _simple(service):
    return lambda obj, d, user, on: service(certification=obj, by=user, on=on)


def _reasoned(service):
    return lambda obj, d, user, on: service(certification=obj, reason=d["reason"], by=user, on=on)


def _noted(service):
    """A decision whose reason is optional (a note)."""
    return lambda obj, d, user, on: service(
        certification=obj, by=user, on=on, reason=d.get("reason") or ""
    )


def _sanction(service):
    return lambda obj, d, user, on: service(
        certification=obj,
        reason=d["reason"],
        by=user,
        on=on,
        at_client_request=d["at_client_request"],
    )


def _withdraw(service):
    return lambda obj, d, user, on: service(
        certification=obj, reason=d["reason"], by=user, on=on, ending=d["ending"]
    )


def _scoped(service):
    return lambda obj, d, user, on: service(
        certification=obj, scope=d["scope"], reason=d["reason"], by=user, on=on
    )


CERTIFICATION_ACTIONS: ActionTable = {
    "start_review": TransitionAction(TransitionForm, _simple(svc.certification_start_review)),
    "reject": TransitionAction(ReasonForm, _reasoned(svc.certification_reject)),
    "accept": TransitionAction(OptionalReasonForm, _noted(svc.certification_accept)),
    "begin_stage1": TransitionAction(
        StagePlanForm, _plan(svc.certification_plan_stage1), initial=_stage_plan(AuditKind.STAGE1)
    ),
    "repeat_stage1": TransitionAction(
        StagePlanForm, _plan(svc.certification_plan_stage1), initial=_stage_plan(AuditKind.STAGE1)
    ),
    "begin_stage2": TransitionAction(
        StagePlanForm, _plan(svc.certification_plan_stage2), initial=_stage_plan(AuditKind.STAGE2)
    ),
    "new_stage2": TransitionAction(
        StagePlanForm, _plan(svc.certification_plan_stage2), initial=_stage_plan(AuditKind.STAGE2)
    ),
    "submit_for_decision": TransitionAction(
        TransitionForm, _simple(svc.certification_submit_for_decision)
    ),
    "grant": TransitionAction(OptionalReasonForm, _noted(svc.certification_grant)),
    "refuse": TransitionAction(ReasonForm, _reasoned(svc.certification_refuse)),
    "recertify": TransitionAction(OptionalReasonForm, _noted(svc.certification_recertify)),
    "restore_after_expiry": TransitionAction(
        OptionalReasonForm, _noted(svc.certification_restore_after_expiry)
    ),
    "expire": TransitionAction(TransitionForm, _simple(svc.certification_expire)),
    "suspend": TransitionAction(SanctionForm, _sanction(svc.certification_suspend)),
    "lift_suspension": TransitionAction(ReasonForm, _reasoned(svc.certification_lift_suspension)),
    "withdraw": TransitionAction(WithdrawForm, _withdraw(svc.certification_withdraw)),
    "reduce_scope": TransitionAction(
        ScopeForm, _scoped(svc.certification_reduce_scope), initial=lambda obj: {"scope": obj.scope}
    ),
}


# -- after an action ----------------------------------------------------------------------------
def pdf_pending_note():
    """When a pending PDF is rendered at the latest: the next run of the sweep
    (infra/queueing.py), as staff read it ("14:30", with the date if not today)."""
    at = next_sweep_at()
    if at is None:  # the sweep is disabled in the admin
        return _("PDF pending: rendered by the worker or when downloaded")
    local = timezone.localtime(at)
    when = date_format(local, "H:i" if local.date() == timezone.localdate() else "Y-m-d H:i")
    return _("PDF pending: the sweep at %(time)s renders it if the worker has not") % {"time": when}


@dataclass
class Before:
    """The newest certificate version and audit of a certification before an action: what is
    newer afterwards, the action issued or planned."""

    certification_id: int
    certificate: int
    audit: int


def before_action(certification_id: int) -> Before:
    newest_certificate = (
        Certificate.objects.filter(certification_id=certification_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    newest_audit = (
        Audit.objects.filter(certification_id=certification_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return Before(certification_id, newest_certificate or 0, newest_audit or 0)


def notices_after(before: Before) -> list[tuple[str, str]]:
    """("info" | "warning", text) for each thing to know after the action: a version issued
    whose PDF is still queued (after commit; the sweep renders it should the queue be down), a
    planned audit whose team x days fall short of its calculated audit time (a warning, never
    a refusal)."""
    notices = []
    issued = Certificate.objects.filter(
        certification_id=before.certification_id, pk__gt=before.certificate
    )
    for certificate in issued:
        if certificate_pdf_pending(certificate):
            notices.append(("info", f"{certificate.full_number}: {pdf_pending_note()}."))
    planned = Audit.objects.filter(certification_id=before.certification_id, pk__gt=before.audit)
    for audit in planned:
        warning = audit_time_shortfall(audit)
        if warning:
            notices.append(("warning", f"{audit}: {warning}"))
    return notices
