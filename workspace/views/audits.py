"""The staff view of an audit (workspace:audit): its facts, dates, team, findings and the
actions allowed now; the dates form (reschedule / confirm); the transitions of the audit and
its findings through their small forms (audits/actions.py); and the team page
(workspace:audit_team, in views/audit_team.py).

Who: staff (audits.manage_audit) manage; decision makers read; an auditor sees only the
audits they are on (core.need_to_know.visible: any other is a 404) and takes there the team's
steps their role allows (audits/access.py: start and report for the team leader, a finding's
plan, correction and verification for its auditors), never the staff's."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from audits import services as svc
from audits.actions import AUDIT_ACTIONS, FINDING_ACTIONS, audit_preview_inputs
from audits.audit_time.display import audit_time_text, render_audit_trace
from audits.forms import RescheduleForm
from audits.models import Audit, AuditKind, AuditState, Finding, FindingState
from audits.sampling import sample_note
from audits.selectors import audit_page as page
from core import actions
from core.dates import local_today
from core.errors import DomainError
from core.need_to_know import visible
from core.transitions import transition_label

from ..access import workspace_page
from . import audit_team

MANAGE = "audits.manage_audit"

MSG_DONE = _("Done: %(action)s.")
MSG_DATES_SAVED = _("The audit dates are saved.")
MSG_DATES_CONFIRMED = _("The audit dates are confirmed.")
MSG_NOT_PLANNED = _("The dates can be changed only while the audit is planned.")


def visible_audit(request, pk):
    """The audit ``pk`` if ``request.user`` may see it (else 404), with what the page shows."""
    return get_object_or_404(page.audit_for_page(visible(Audit.objects.all(), request.user)), pk=pk)


def _offers(obj, table, user, inputs=None):
    """The actions ``user`` may take on ``obj`` now or that a rule blocks (with reasons), each
    with its form ready to submit (the date today)."""
    return [
        {"offer": offer, "form": actions.action_form(obj, table, offer.name)}
        for offer in actions.offers(obj, table, user, inputs=inputs)
    ]


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


def _render_audit(request, audit, *, status=200, dates_form=None, failed=None):
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
                "offers": _offers(finding, FINDING_ACTIONS, user),
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
    }
    return render(request, "workspace/audits/audit.html", context, status=status)


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
            if d["confirm"]:
                svc.audit_confirm_dates(
                    audit=audit,
                    planned_start=d["planned_start"],
                    planned_end=d["planned_end"],
                    reason=d["reason"],
                    by=request.user,
                    on=local_today(),
                )
            else:
                svc.audit_reschedule(
                    audit=audit,
                    planned_start=d["planned_start"],
                    planned_end=d["planned_end"],
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
    path("findings/<int:pk>/do/<str:name>/", finding_action, name="finding_action"),
    *audit_team.urlpatterns,
]
