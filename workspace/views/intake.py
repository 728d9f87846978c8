"""The intake page's writes (CB staff), each through certificates.services or the audit-time
service; a refusal (DomainError) is shown on the page, never a 500. With htmx each answers
with the page's live part (checklist, conditions, audit time, acceptance); without, it
redirects back to the page (or shows it again with the refused input)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from audits.audit_time.forms import AuditTimeForm, FactorFormSet, SiteFormSet
from audits.audit_time.services import audit_time_calculate
from certificates.services.applications import (
    application_accept,
    application_record_documents,
    application_update_intake,
)
from clients.selectors.intake import intake_checklists, match_files
from core.errors import DomainError

from ..access import Role, workspace_page
from ..forms.applications import AcceptForm, IntakeFactsForm, ReceiveForm
from .intake_page import TIME_IDS, load_application, render_intake

MSG_DOCUMENTS_SAVED = _("Checklist saved.")
MSG_ALL_RECEIVED = _("Every document on the checklist is marked received.")
MSG_NOT_MATCHED = _(
    "Not matched to a document (name the file after the document, or use the upload on its "
    "row): %(names)s"
)
MSG_FACTS_SAVED = _("Intake facts saved.")
MSG_CALCULATED = _("Audit time calculated and recorded.")
MSG_ACCEPTED = _("Application accepted: %(what)s.")
MSG_REFUSED = _("Nothing was changed:")


def _back(request, application, box=""):
    if getattr(request, "htmx", False):
        return render_intake(request, load_application(request, application.pk))
    url = reverse("workspace:application", args=[application.pk])
    return redirect(f"{url}#{box}" if box else url)


@require_POST
@workspace_page(Role.STAFF)
def documents(request, pk):
    """Tick, untick, upload. Ticked documents not yet received are received on the day given;
    unticked ones that were received are no longer; a file on a row, or dropped on the page
    and matched by its name, records that document as received."""
    application = load_application(request, pk)
    form = ReceiveForm(request.POST)
    if not form.is_valid():
        return render_intake(request, application, receive_form=form, error_box="documents")
    on = form.cleaned_data["on"]
    rows = [row for checklist in intake_checklists(application) for row in checklist.rows]
    ticked = set(request.POST.getlist("received"))
    mark_all = request.POST.get("action") == "all"
    received = {}
    for row in rows:
        pk_text = str(row.required.pk)
        want = mark_all or pk_text in ticked
        if want and not row.received:
            received[row.required.pk] = on
        elif not want and row.received and pk_text in request.POST.getlist("shown"):
            received[row.required.pk] = None
    files = {}
    for row in rows:
        upload = request.FILES.get(f"file_{row.required.pk}")
        if upload is not None:
            files[row.required.pk] = upload
    dropped, unmatched = match_files(request.FILES.getlist("files"), rows)
    for required_pk, upload in dropped.items():
        files.setdefault(required_pk, upload)
    for required_pk in files:
        if received.get(required_pk, 0) is None or not _was_received(rows, required_pk):
            received[required_pk] = on
    try:
        application_record_documents(
            application=application, by=request.user, received=received, files=files
        )
    except DomainError as err:
        return render_intake(
            request, application, receive_form=form, errors=err.messages, error_box="documents"
        )
    messages.success(request, MSG_ALL_RECEIVED if mark_all else MSG_DOCUMENTS_SAVED)
    if unmatched:
        messages.warning(request, MSG_NOT_MATCHED % {"names": ", ".join(f.name for f in unmatched)})
    return _back(request, application, "documents")


def _was_received(rows, required_pk) -> bool:
    return any(r.required.pk == required_pk and r.received for r in rows)


@require_POST
@workspace_page(Role.STAFF)
def facts(request, pk):
    application = load_application(request, pk)
    form = IntakeFactsForm(request.POST, instance=application, client=application.client)
    if form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            application_update_intake(application=application, by=request.user, **fields)
        except DomainError as err:
            return render_intake(
                request, application, facts_form=form, errors=err.messages, error_box="facts"
            )
        messages.success(request, MSG_FACTS_SAVED)
        return _back(request, application, "facts")
    # The form wrote its input onto the instance: show the stored facts beside it.
    return render_intake(request, load_application(request, pk), facts_form=form, error_box="facts")


def _filled(formset, keys):
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if any(data.get(k) not in (None, "") for k in keys):
            rows.append({k: data.get(k) for k in keys})
    return rows


@require_POST
@workspace_page(Role.STAFF)
def audit_time(request, pk):
    """Calculate and record the audit time (the audit-time service, as the admin's
    "Calculate audit time" page)."""
    application = load_application(request, pk)
    form = AuditTimeForm(request.POST, auto_id=TIME_IDS)
    factors = FactorFormSet(request.POST, prefix="factors")
    sites = SiteFormSet(request.POST, prefix="sites")
    bound = {"time_form": form, "factors": factors, "sample_sites": sites, "error_box": "time"}
    if not (form.is_valid() and factors.is_valid() and sites.is_valid()):
        return render_intake(request, application, **bound)
    try:
        audit_time_calculate(
            application=application,
            by=request.user,
            on=form.cleaned_data["on"],
            personnel=form.cleaned_data["personnel"],
            factors=_filled(factors, ("percent", "justification")),
            integration_reduction=form.integration(),
            sites=_filled(sites, ("name", "personnel", "reduction_percent", "justification")),
        )
    except DomainError as err:
        return render_intake(request, application, errors=err.messages, **bound)
    messages.success(request, MSG_CALCULATED)
    return _back(request, application, "time")


@require_POST
@workspace_page(Role.STAFF)
def accept(request, pk):
    """Start the review and accept, for every standard at intake, in one step."""
    application = load_application(request, pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return render_intake(request, application, accept_form=form, error_box="accept")
    try:
        accepted = application_accept(
            application=application, by=request.user, on=form.cleaned_data["on"]
        )
    except DomainError as err:
        return render_intake(
            request, application, accept_form=form, errors=err.messages, error_box="accept"
        )
    what = ", ".join(str(c.standard) for c in accepted)
    messages.success(request, MSG_ACCEPTED % {"what": what})
    target = _certification_url(accepted[0]) if len(accepted) == 1 else None
    target = target or reverse("workspace:client", args=[application.client_id])
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(target)
    return redirect(target)


def _certification_url(certification):
    try:
        return reverse("workspace:certification", args=[certification.pk])
    except NoReverseMatch:  # the certification page is another area's: it may not exist yet
        return None


urlpatterns = [
    path("applications/<int:pk>/documents/", documents, name="application_documents"),
    path("applications/<int:pk>/facts/", facts, name="application_facts"),
    path("applications/<int:pk>/audit-time/", audit_time, name="application_audit_time"),
    path("applications/<int:pk>/accept/", accept, name="application_accept"),
]
