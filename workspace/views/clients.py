"""The client: its page (everything about it, for every role that may see it), and the one
form that records a new client with its sites and contacts, or edits them (CB staff)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Site
from clients.selectors.client_page import client_page
from clients.services import ADD_PENALTY
from core.need_to_know import visible
from core.transitions import transition_label

from ..access import Role, workspace_page
from ..forms.clients import ClientForm, ContactFormSet, SiteFormSet
from ..forms.gaps import PenaltyForm

MSG_CREATED = _("Client %(name)s recorded.")
MSG_SAVED = _("Client %(name)s saved.")
MSG_FIX = _("Nothing was saved: correct the fields marked below.")
MSG_CENTRAL_CONFLICT = _("A client has only one central function.")
MSG_DUPLICATE_ID = _(
    "Another client has this registration id (it was recorded meanwhile): nothing was saved."
)
MSG_CONFLICT = _("Nothing was saved: the database refused the change (%(cause)s).")
MSG_CENTRAL_NAME = _("Head office")

# History rows written by bulk writers rather than a transition method.
PSEUDO_TRANSITIONS = {"open": _("Opened"), "update": _("Updated")}


@workspace_page()
def client(request, pk):
    obj = get_object_or_404(
        visible(Client.objects.prefetch_related("technical_areas"), request.user), pk=pk
    )
    page = client_page(obj, request.user)
    for log in page.history:
        log.label = _history_label(log)
        choices = dict(type(log.subject)._meta.get_field("state").choices)
        log.state_label = choices.get(log.state, log.state)
        log.source_label = choices.get(log.source_state, log.source_state or "")
    return render(
        request,
        "workspace/clients/client.html",
        {
            "client": obj,
            "page": page,
            "may_edit": Role.STAFF in request.roles,
            "office": bool(request.roles & {Role.STAFF, Role.DECIDER}),
            # Staff record a penalty they found here (workspace/views/gaps.py).
            "penalty_form": PenaltyForm() if request.user.has_perm(ADD_PENALTY) else None,
        },
    )


def _history_label(log) -> str:
    model = type(log.subject)
    if hasattr(model, log.transition):
        return transition_label(model, log.transition)
    return str(PSEUDO_TRANSITIONS.get(log.transition, log.transition))


@workspace_page(Role.STAFF)
def client_new(request):
    return _edit(request, Client())


@workspace_page(Role.STAFF)
def client_edit(request, pk):
    obj = get_object_or_404(visible(Client.objects.all(), request.user), pk=pk)
    return _edit(request, obj)


def _edit(request, obj):
    new = obj.pk is None
    if not request.user.has_perm("clients.add_client" if new else "clients.change_client"):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    user = request.user
    form = ClientForm(data, instance=obj)
    sites = SiteFormSet(data, instance=obj, prefix="sites", user=user)
    contacts = ContactFormSet(data, instance=obj, prefix="contacts", user=user)
    if data is not None:
        if form.is_valid() and sites.is_valid() and contacts.is_valid():
            try:
                with transaction.atomic():
                    saved = _save(form, sites, contacts)
            except IntegrityError as error:
                _report_conflict(error, form, sites)
            else:
                message = MSG_CREATED if new else MSG_SAVED
                messages.success(request, message % {"name": saved.legal_name})
                return redirect("workspace:client", pk=saved.pk)
        messages.error(request, MSG_FIX)
    return render(
        request,
        "workspace/clients/client_form.html",
        {"form": form, "sites": sites, "contacts": contacts, "client": obj, "new": new},
    )


def _report_conflict(error: IntegrityError, form, sites) -> None:
    """Put the constraint a concurrent write broke next to its field: the one central function
    per client, the client's registration id; any other by its database message."""
    text = str(error)
    if "one_central_function" in text or "clients_site" in text:
        sites._non_form_errors = sites.error_class([MSG_CENTRAL_CONFLICT])
    elif "registration_id" in text:
        form.add_error("registration_id", MSG_DUPLICATE_ID)
    else:
        form.add_error(None, MSG_CONFLICT % {"cause": text})


def _save(form, sites, contacts) -> Client:
    """Save the client, then its sites (the ones no longer central first, so the one central
    function per client holds at every step), then its contacts."""
    saved = form.save()
    sites.instance = contacts.instance = saved
    changed = sites.save(commit=False)
    for site in sites.deleted_objects:
        site.delete()
    for site in sorted(changed, key=lambda s: s.is_central):
        site.client = saved
        site.save()
    if not saved.sites.filter(is_central=True).exists():
        Site.objects.create(
            client=saved,
            name=str(MSG_CENTRAL_NAME),
            is_central=True,
            province=saved.province,
            city=saved.city,
            address=saved.address,
            postcode=saved.postcode,
            personnel=saved.effective_personnel,
        )
    people = contacts.save(commit=False)
    for contact in contacts.deleted_objects:
        contact.delete()
    for contact in people:
        contact.client = saved
        contact.save()
    if not saved.contacts.filter(is_primary=True).exists():
        first = saved.contacts.order_by("pk").first()
        if first is not None:
            first.is_primary = True
            first.save(update_fields=["is_primary"])
    return saved


urlpatterns = [
    path("clients/new/", client_new, name="client_new"),
    path("clients/<int:pk>/", client, name="client"),
    path("clients/<int:pk>/edit/", client_edit, name="client_edit"),
]
