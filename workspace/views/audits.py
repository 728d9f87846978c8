"""The staff view of an audit (workspace:audit): its facts, dates, team, findings and the
actions allowed now; the dates form (reschedule / confirm); the transitions of the audit and
its findings through their small forms (audits/actions.py); and the team page
(workspace:audit_team, in views/audit_team.py).

Who: staff (audits.manage_audit) manage; decision makers read; an auditor sees only the
audits they are on (core.need_to_know.visible: any other is a 404) and takes there the team's
steps their role allows (audits/access.py: start and report for the team leader, a finding's
plan, correction and verification for its auditors), never the staff's."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from audits import services as svc
from audits.actions import AUDIT_ACTIONS, FINDING_ACTIONS, audit_preview_inputs, report_initial
from audits.audit_time.display import audit_time_text, render_audit_trace
from audits.forms import FindingForm, RescheduleForm
from audits.models import (
    RECOMMENDATIONS_BY_KIND,
    Audit,
    AuditKind,
    AuditState,
    Finding,
    FindingState,
    Recommendation,
)
from audits.sampling import sample_note
from audits.selectors import audit_page as page
from certificates.actions import CERTIFICATION_ACTIONS, before_action, notices_after
from core import actions
from core.dates import local_today, not_after_today
from core.errors import DomainError
from core.need_to_know import visible
from core.transitions import transition_label, user_may

from ..access import workspace_page
from . import audit_team
from .certifications import certification_steps

MANAGE = "audits.manage_audit"

MSG_DONE = _("Done: %(action)s.")
MSG_DATES_SAVED = _("The audit dates are saved.")
MSG_DATES_CONFIRMED = _("The audit dates are confirmed.")
MSG_NOT_PLANNED = _("The dates can be changed only while the audit is planned.")
MSG_FINDING_RAISED = _("The finding is recorded.")
MSG_CLOSE_THEN = {
    "begin_stage2": _("Close and plan stage 2"),
    "submit_for_decision": _("Close and submit for decision"),
}
MSG_HELD = _("Record the audit held and submit the report")
MSG_NOT_NOW = _("This is not possible on this audit now.")

# The team leader's main step, shown open: the report (its recommendation proposed).
OPEN_ACTIONS = ("submit_report",)


def visible_audit(request, pk):
    """The audit ``pk`` if ``request.user`` may see it (else 404), with what the page shows."""
    return get_object_or_404(page.audit_for_page(visible(Audit.objects.all(), request.user)), pk=pk)


def _offers(obj, table, user, inputs=None, *, open_single=False):
    """The actions ``user`` may take on ``obj`` now or that a rule blocks (with reasons), each
    with its form ready to submit (the date today). Shown open: the report when the leader
    may submit it, and the only step allowed when its form asks for more than the date (a
    finding's plan to accept: ``open_single``)."""
    items = [
        {"offer": offer, "form": _form(obj, table, offer.name)}
        for offer in actions.offers(obj, table, user, inputs=inputs)
    ]
    allowed = [item for item in items if item["offer"].allowed]
    for item in allowed:
        if item["offer"].name in OPEN_ACTIONS or (open_single and len(allowed) == 1):
            item["open"] = True
    return items


def _form(obj, table, name, data=None):
    """The action's form; the report's recommendations narrowed to the audit's kind."""
    form = actions.action_form(obj, table, name, data)
    if name == "submit_report" and "recommendation" in form.fields:
        allowed = RECOMMENDATIONS_BY_KIND.get(obj.kind, ())
        form.fields["recommendation"].choices = [
            (value, label) for value, label in Recommendation.choices if value in allowed
        ]
    return form


def _finding_form(audit, user, data=None):
    """The form to raise a finding, for whom the rules let raise one now (the team leader
    while the audit runs or its report is in), else None."""
    if svc.finding_raise_problems(audit, user):
        return None
    return FindingForm(data, prefix="finding")


def _history(audit, findings):
    rows = []
    for log in page.history_of(audit, findings):
        model = Audit if log.content_type.model == "audit" else Finding
        label = (
            transition_label(model, log.transition)
            if hasattr(model, log.transition)
            else log.transition
        )
        rows.append({"log": log, "label": label, "finding": model is Finding})
    return rows


def _dates_form(audit, data=None):
    return RescheduleForm(
        data,
        initial={
            "planned_start": audit.planned_start,
            "planned_end": audit.planned_end,
            "reason": audit.late_reason,
            "confirm": True,
        },
        prefix="dates",
    )


def _render_audit(
    request,
    audit,
    *,
    status=200,
    dates_form=None,
    failed=None,
    finding_form=None,
    then_form=None,
    held_form=None,
):
    """The audit page. ``failed``: (kind, pk, name, form) of an action whose form came back
    with errors, shown in place of its fresh form."""
    user = request.user
    today = local_today()
    findings = list(page.findings_of(audit))
    audit_offers = _offers(audit, AUDIT_ACTIONS, user, audit_preview_inputs(audit))
    finding_rows = []
    for finding in findings:
        finding.audit = audit  # the permission checks look at the audit's team
        finding_rows.append(
            {
                "finding": finding,
                "offers": _offers(finding, FINDING_ACTIONS, user, open_single=True),
                "plan_late": finding.state == FindingState.OPEN
                and finding.plan_due
                and finding.plan_due < today,
                "correction_late": finding.state in (FindingState.OPEN, FindingState.PLAN_ACCEPTED)
                and finding.correction_due
                and finding.correction_due < today,
                "verification_late": finding.grade == "major"
                and finding.state != FindingState.VERIFIED
                and finding.verification_due
                and finding.verification_due < today,
            }
        )
    if failed is not None:
        kind, pk, name, form = failed
        rows = (
            [{"offers": audit_offers}]
            if kind == "audit"
            else [r for r in finding_rows if r["finding"].pk == pk]
        )
        for row in rows:
            for item in row["offers"]:
                if item["offer"].name == name:
                    item["form"] = form
                    item["open"] = True
    manages = user.has_perm(MANAGE)
    planned = audit.state == AuditState.PLANNED
    sites = list(audit.sites.all())
    context = {
        "audit": audit,
        "today": today,
        "team": page.team_of(audit),
        "sites": sites,
        "sample": audit.sample_trace or {},
        "sample_note": sample_note(audit.sample_trace or {}, {s.pk: s.name for s in sites}),
        "audit_time": audit_time_text(
            audit.audit_days, audit.onsite_days, stage1=audit.kind == AuditKind.STAGE1
        ),
        "audit_time_trace": render_audit_trace(audit.audit_time_trace),
        "findings": finding_rows,
        "offers": audit_offers,
        "manages": manages,
        "may_plan": manages and planned,
        "dates_form": dates_form or (_dates_form(audit) if manages and planned else None),
        "history": _history(audit, findings),
        "leads": audit.team_leader_id == user.pk,
        "finding_form": finding_form or _finding_form(audit, user),
        "cert_steps": _certification_steps(request, audit),
        "close_then": _close_then(audit, user, then_form),
        "held_form": held_form or _held_form(audit, user),
    }
    return render(request, "workspace/audits/audit.html", context, status=status)


def _certification_steps(request, audit):
    """Once the audit is closed, the certification's next step for whom may take it (stage 2
    to plan, the file to submit for decision), so it is taken from here."""
    if audit.state != AuditState.CLOSED or not request.user.has_perm(MANAGE):
        return None
    cert = audit.certification
    if cert.state not in ("stage1", "stage2"):  # no stage to plan, nothing to submit
        return None
    target = reverse("workspace:certification", args=[cert.pk])
    steps = certification_steps(cert, request.user, next_url=target)
    return steps if steps["offers"] else None


# -- two steps one person takes at one moment, in one transaction (both or neither) ----------
class _Undo(Exception):
    """Raised inside the transaction to roll back the first step when the second fails."""


def close_then_name(audit, user) -> str | None:
    """The certification's step that follows closing this report, when ``user`` may take
    both (staff): stage 1 reported ready -> plan stage 2; stage 2 -> submit for decision."""
    if audit.state != AuditState.REPORT_SUBMITTED or not user_may(audit, "close", user):
        return None
    cert = audit.certification
    name = None
    if audit.kind == AuditKind.STAGE1 and cert.state == "stage1":
        if audit.recommendation == Recommendation.READY_FOR_STAGE2:
            name = "begin_stage2"
    elif audit.kind == AuditKind.STAGE2 and cert.state == "stage2":
        name = "submit_for_decision"
    if name is None or not user_may(cert, name, user):
        return None
    return name


def _close_then(audit, user, form=None) -> dict | None:
    """The combined form "close and <next step>" for the audit page, or None."""
    name = close_then_name(audit, user)
    if name is None:
        return None
    cert = audit.certification
    return {
        "name": name,
        "label": MSG_CLOSE_THEN[name],
        "form": form or actions.action_form(cert, CERTIFICATION_ACTIONS, name),
        "action_url": reverse("workspace:audit_close_then", args=[audit.pk, name]),
        "plan": name == "begin_stage2",
    }


class HeldForm(forms.Form):
    """The team leader records an audit held that was not started here: its first and last
    day and the report's recommendation (the start and the report, both through their
    rules)."""

    first_day = forms.DateField(
        label=_("First day of the audit"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[not_after_today],
    )
    on = forms.DateField(
        label=_("Last day of the audit"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[not_after_today],
    )
    recommendation = forms.ChoiceField(label=_("Recommendation"))

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, prefix="held", **kwargs)
        allowed = RECOMMENDATIONS_BY_KIND.get(audit.kind, ())
        self.fields["recommendation"].choices = [
            (value, label) for value, label in Recommendation.choices if value in allowed
        ]

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("on")
        if first and last and last < first:
            self.add_error("on", _("The last day is before the first day."))
        return data


def _held_form(audit, user, data=None):
    """The "audit held" form for the team leader while the audit may be started, else None."""
    if audit.state != AuditState.PLANNED or not user_may(audit, "start", user):
        return None
    if actions.blockers_now(audit, "start", user):
        return None
    today = local_today()
    first = audit.planned_start if audit.planned_start <= today else today
    initial = {"first_day": first, "on": today, **report_initial(audit)}
    return HeldForm(data, audit=audit, initial=initial)


@workspace_page()
@require_http_methods(["GET"])
def audit_view(request, pk):
    return _render_audit(request, visible_audit(request, pk))


@workspace_page()
@require_http_methods(["POST"])
def audit_dates(request, pk):
    """Staff move the planned audit and/or confirm its dates (audits.services.programme)."""
    audit = visible_audit(request, pk)
    if not request.user.has_perm(MANAGE):
        raise PermissionDenied
    if audit.state != AuditState.PLANNED:
        messages.error(request, MSG_NOT_PLANNED)
        return redirect("workspace:audit", pk=audit.pk)
    form = _dates_form(audit, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.audit_set_dates(
                audit=audit,
                planned_start=d["planned_start"],
                planned_end=d["planned_end"],
                confirm=d["confirm"],
                reason=d["reason"],
                by=request.user,
                on=local_today(),
            )
        except DomainError as err:
            for message in err.messages:
                form.add_error(None, message)
        else:
            messages.success(request, MSG_DATES_CONFIRMED if d["confirm"] else MSG_DATES_SAVED)
            return redirect("workspace:audit", pk=audit.pk)
    return _render_audit(request, audit, status=400, dates_form=form)


def _take(request, audit, obj, table, name, kind):
    try:
        taken = actions.take(obj, table, name, request.POST, request.user)
    except actions.ActionUnavailable as err:
        for message in err.messages:
            messages.error(request, message)
        return redirect("workspace:audit", pk=audit.pk)
    if taken.done:
        messages.success(request, MSG_DONE % {"action": transition_label(obj, name)})
        return redirect("workspace:audit", pk=audit.pk)
    return _render_audit(request, audit, status=400, failed=(kind, obj.pk, name, taken.form))


@workspace_page()
@require_http_methods(["POST"])
def audit_action(request, pk, name):
    """Take transition ``name`` of the audit (start, submit_report: the team leader; close,
    cancel: staff). Refused: 403 without the permission, the reasons on the page otherwise;
    nothing changes."""
    audit = visible_audit(request, pk)
    return _take(request, audit, audit, AUDIT_ACTIONS, name, "audit")


@workspace_page()
@require_http_methods(["POST"])
def finding_raise(request, pk):
    """The team leader records a finding (grade, clause, description, day) through
    audits.services.finding_raise; whoever does not conduct audits gets 403, the rules'
    refusals show on the page and nothing changes."""
    audit = visible_audit(request, pk)
    if not request.user.has_perm("audits.conduct_audit"):
        raise PermissionDenied
    form = FindingForm(request.POST, prefix="finding")
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.finding_raise(
                audit=audit,
                grade=d["grade"],
                clause=d["clause"],
                description=d["description"],
                by=request.user,
                on=d["on"],
            )
        except DomainError as err:
            for message in err.messages:
                form.add_error(None, message)
        else:
            messages.success(request, MSG_FINDING_RAISED)
            return redirect("workspace:audit", pk=audit.pk)
    return _render_audit(request, audit, status=400, finding_form=form)


@workspace_page()
@require_http_methods(["POST"])
def audit_close_then(request, pk, name):
    """Staff close the report and take the certification's next step (plan stage 2, submit
    for decision) in one transaction: both through their rules and services, or neither."""
    audit = visible_audit(request, pk)
    if not user_may(audit, "close", request.user):
        raise PermissionDenied
    if close_then_name(audit, request.user) != name:
        messages.error(request, MSG_NOT_NOW)
        return redirect("workspace:audit", pk=audit.pk)
    cert = audit.certification
    before = before_action(cert.pk)
    close_data = {"on": request.POST.get("on", "")}
    failed = None
    try:
        with transaction.atomic():
            closed = actions.take(audit, AUDIT_ACTIONS, "close", close_data, request.user)
            if not closed.done:
                failed = closed.form
                raise _Undo
            cert.refresh_from_db()
            taken = actions.take(cert, CERTIFICATION_ACTIONS, name, request.POST, request.user)
            if not taken.done:
                failed = taken.form
                raise _Undo
    except _Undo:
        audit.refresh_from_db()
        audit.certification.refresh_from_db()
        form = actions.action_form(audit.certification, CERTIFICATION_ACTIONS, name, request.POST)
        form.is_valid()
        for message in failed.non_field_errors():
            form.add_error(None, message)
        for field, errors in failed.errors.items():
            if field != "__all__" and field in form.fields and field not in form.errors:
                for message in errors:
                    form.add_error(field, message)
        return _render_audit(request, audit, status=400, then_form=form)
    except actions.ActionUnavailable as err:
        for message in err.messages:
            messages.error(request, message)
        return redirect("workspace:audit", pk=audit.pk)
    messages.success(request, MSG_DONE % {"action": transition_label(audit, "close")})
    messages.success(request, MSG_DONE % {"action": transition_label(cert, name)})
    for level, text in notices_after(before):
        (messages.warning if level == "warning" else messages.info)(request, text)
    return redirect("workspace:certification", pk=cert.pk)


@workspace_page()
@require_http_methods(["POST"])
def audit_held(request, pk):
    """The team leader records the audit held: started on its first day and the report
    submitted on its last, in one transaction (both through their rules, or neither)."""
    audit = visible_audit(request, pk)
    if not user_may(audit, "start", request.user):
        raise PermissionDenied
    form = HeldForm(request.POST, audit=audit)
    if form.is_valid():
        d = form.cleaned_data
        start = {"on": d["first_day"]}
        report = {"on": d["on"], "recommendation": d["recommendation"]}
        try:
            with transaction.atomic():
                for name, data in (("start", start), ("submit_report", report)):
                    taken = actions.take(audit, AUDIT_ACTIONS, name, data, request.user)
                    if not taken.done:
                        for message in taken.form.non_field_errors():
                            form.add_error(None, message)
                        for errors in (e for f, e in taken.form.errors.items() if f != "__all__"):
                            for message in errors:
                                form.add_error(None, message)
                        raise _Undo
                    audit = taken.result
        except _Undo:
            audit = visible_audit(request, pk)
        except actions.ActionUnavailable as err:
            for message in err.messages:
                messages.error(request, message)
            return redirect("workspace:audit", pk=pk)
        else:
            messages.success(request, MSG_DONE % {"action": transition_label(audit, "start")})
            messages.success(
                request, MSG_DONE % {"action": transition_label(audit, "submit_report")}
            )
            return redirect("workspace:audit", pk=pk)
    return _render_audit(request, audit, status=400, held_form=form)


@workspace_page()
@require_http_methods(["POST"])
def finding_action(request, pk, name):
    """Take transition ``name`` of a finding (accept_plan, mark_corrected, verify: the team's
    auditors, audits/access.py)."""
    finding = get_object_or_404(
        visible(Finding.objects.select_related("audit"), request.user), pk=pk
    )
    audit = visible_audit(request, finding.audit_id)
    finding.audit = audit
    return _take(request, audit, finding, FINDING_ACTIONS, name, "finding")


urlpatterns = [
    path("audits/<int:pk>/", audit_view, name="audit"),
    path("audits/<int:pk>/dates/", audit_dates, name="audit_dates"),
    path("audits/<int:pk>/do/<str:name>/", audit_action, name="audit_action"),
    path("audits/<int:pk>/findings/new/", finding_raise, name="finding_raise"),
    path("audits/<int:pk>/held/", audit_held, name="audit_held"),
    path("audits/<int:pk>/close-then/<slug:name>/", audit_close_then, name="audit_close_then"),
    path("findings/<int:pk>/do/<str:name>/", finding_action, name="finding_action"),
    *audit_team.urlpatterns,
]
