"""The application intake page: what it shows (the checklist of each standard applied for,
the intake conditions still missing, the audit time, what stands before acceptance) and the
forms of its writes (intake.py), drawn whole or, for htmx, only its live part."""

from django.http import Http404
from django.shortcuts import render

from audits.audit_time.admin import trace_context
from audits.audit_time.display import stage_figures
from audits.audit_time.forms import AuditTimeForm, FactorFormSet, SiteFormSet
from audits.models import AuditTimeCalculation
from certificates.models import Certification
from certificates.services.applications import INTAKE_STATES, application_accept_problems
from clients.models import Application
from clients.selectors.intake import application_with_checklist, intake_checklists
from core.dates import local_today
from core.need_to_know import visible

from ..access import Role
from ..forms.applications import AcceptForm, IntakeFactsForm, ReceiveForm

# The audit-time form's field ids (the page has other date fields named "on").
TIME_IDS = "time_%s"


def load_application(request, pk) -> Application:
    """The application ``pk`` if ``request.user`` may see it (else 404), with the checklist
    prefetched."""
    try:
        return application_with_checklist(visible(Application.objects.all(), request.user), pk)
    except Application.DoesNotExist:
        raise Http404 from None


def render_intake(request, application, *, status=200, **forms):
    """The intake page (the live part only for htmx), with ``forms`` bound where a POST was
    refused so that its input and errors stay on the page."""
    context = intake_context(request, application, **forms)
    template = "workspace/applications/application.html"
    if getattr(request, "htmx", False) and not request.htmx.history_restore_request:
        template = "workspace/applications/_intake.html"
        context["inline_messages"] = True
    return render(request, template, context, status=status)


def intake_context(request, application, **forms) -> dict:
    user = request.user
    today = local_today()
    # Need-to-know: an auditor sees only the certifications of the audits they are on, and of
    # the application only those standards (its checklists and audit time).
    certifications = list(
        visible(Certification.objects.filter(application=application), user)
        .select_related("standard")
        .order_by("standard__code")
    )
    office = bool(request.roles & {Role.STAFF, Role.DECIDER})
    shown = None if office else {c.standard_id for c in certifications}
    at_intake = [c for c in certifications if c.state in INTAKE_STATES]
    may_edit = Role.STAFF in request.roles and bool(at_intake)
    calc = AuditTimeCalculation.objects.current_for(application)
    calc_context = trace_context(calc) if calc else None
    if calc_context:
        if shown is not None and any(s.pk not in shown for s in application.standards.all()):
            # The figures of the standards the user may see; the trace (every standard's
            # lines) not at all.
            calc_context["per_standard"] = [
                row
                for row in calc_context["per_standard"]
                if getattr(row["standard"], "pk", None) in shown
            ]
            calc_context["lines"] = []
        for row in calc_context["per_standard"]:
            # The same cells as every audit-time table (stage 1 and 2 each with its own share
            # of the initial audit's on-site minimum: never "4.5 (on site >= 5.5)").
            row["cells"] = stage_figures(row["figures"] or {})
    context = {
        "application": application,
        "client": application.client,
        "checklists": intake_checklists(application, standards=shown),
        "standards": [s for s in application.standards.all() if shown is None or s.pk in shown],
        "certifications": certifications,
        "at_intake": at_intake,
        "may_edit": may_edit,
        "calc": calc,
        "calc_context": calc_context,
        "accept_problems": (
            application_accept_problems(application=application, by=user, on=today)
            if may_edit
            else []
        ),
    }
    context["errors"] = forms.get("errors") or []
    context["error_box"] = forms.get("error_box", "") if may_edit else ""
    if may_edit:
        initial_calc = _audit_time_initial(calc, application)
        context.update(
            facts_form=forms.get("facts_form")
            or IntakeFactsForm(instance=application, client=application.client),
            receive_form=forms.get("receive_form") or ReceiveForm(initial={"on": today}),
            accept_form=forms.get("accept_form") or AcceptForm(initial={"on": today}),
            time_form=forms.get("time_form")
            or AuditTimeForm(initial=initial_calc[0], auto_id=TIME_IDS),
            factors=forms.get("factors")
            or FactorFormSet(prefix="factors", initial=initial_calc[1]),
            sample_sites=forms.get("sample_sites")
            or SiteFormSet(prefix="sites", initial=initial_calc[2]),
        )
    return context


def _audit_time_initial(calc, application):
    """Start from the current calculation's inputs (recalculating changes one thing)."""
    inputs = (calc.inputs if calc else None) or {}
    integration = inputs.get("integration_reduction") or {}
    return (
        {
            "on": local_today(),
            "personnel": inputs.get("personnel") or application.effective_personnel,
            "integration_percent": integration.get("percent"),
            "integration_justification": integration.get("justification", ""),
        },
        inputs.get("factors") or [],
        inputs.get("sites") or [],
    )
