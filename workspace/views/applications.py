"""Applications: a new application from the client page, and the intake page (the checklist
of each standard applied for, the intake conditions, the audit time, acceptance).

The intake page is drawn by intake_page.py (whole, or for htmx its live part); its writes
(documents, facts, audit time, acceptance) are in intake.py."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from certificates.errors import CertificationError
from certificates.services import application_submit
from clients.models import Client
from core.need_to_know import visible

from ..access import Role, workspace_page
from ..forms.applications import NewApplicationForm
from . import intake
from .intake_page import load_application, render_intake

MSG_RECORDED = _("Application recorded: now tick the documents received.")
MSG_FIX = _("Nothing was recorded: correct the fields marked below.")


@workspace_page(Role.STAFF)
def application_new(request, pk):
    client = get_object_or_404(visible(Client.objects.all(), request.user), pk=pk)
    data = request.POST if request.method == "POST" else None
    form = NewApplicationForm(data, client=client)
    if data is not None:
        if form.is_valid():
            try:
                application = application_submit(
                    client=client,
                    standards=form.cleaned_data["standards"],
                    by=request.user,
                    **form.submit_fields(),
                )
            except CertificationError as err:
                for message in err.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, MSG_RECORDED)
                return redirect("workspace:application", pk=application.pk)
        messages.error(request, MSG_FIX)
    return render(
        request, "workspace/applications/application_new.html", {"client": client, "form": form}
    )


@workspace_page()
def application(request, pk):
    return render_intake(request, load_application(request, pk))


urlpatterns = [
    path("clients/<int:pk>/applications/new/", application_new, name="application_new"),
    path("applications/<int:pk>/", application, name="application"),
    *intake.urlpatterns,
]
