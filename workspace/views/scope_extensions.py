"""Scope extensions in the workspace: apply for one from the certification page, the
extension's page (its facts, the sites it adds, its history, the actions allowed now as
buttons and the blocked ones with their reasons), taking an action through its small form,
and the list of extensions (open ones first; CSV/XLSX).

Reads through certificates/selectors/scope_extensions.py (need-to-know filtered: an auditor
sees, read-only, the extensions of the certifications of their audits); every write through
a service: the application through ``scope_extension_apply``, each step through the action
table shared with the admin (certificates/actions_scope.py, core/actions.py ``take``)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certificates import services as svc
from certificates.actions import before_action, notices_after
from certificates.actions_scope import SCOPE_EXTENSION_ACTIONS, extension_preview_inputs
from certificates.models import ExtensionState, ScopeExtension
from certificates.selectors.scope_extensions import (
    OPEN_STATES,
    extension_for_page,
    extension_history,
    extensions_list,
)
from core.actions import ActionUnavailable, action_form, blockers_now, check, offers, take
from core.dates import local_today
from core.errors import DomainError
from core.names import person_name
from core.transitions import available_transitions, transition_label, user_may
from infra.exports import FORMATS, Column, export_response
from infra.paging import window

from ..access import Role, workspace_page
from ..forms.scope_extensions import ScopeExtensionApplyForm
from ..http import action_done, parse_int, safe_next
from .certifications import load_certification

APPLY_PERMISSION = "certificates.review_application"
TABLE = SCOPE_EXTENSION_ACTIONS
DANGER = frozenset({"refuse"})

EXPORT_COLUMNS = [
    Column(gettext_lazy("Client"), lambda x: x.certification.client.legal_name),
    Column(gettext_lazy("Standard"), lambda x: str(x.certification.standard)),
    Column(gettext_lazy("Certificate number"), lambda x: x.certification.certificate_number),
    Column(gettext_lazy("Received on"), lambda x: x.received_on),
    Column(gettext_lazy("Services added"), lambda x: x.services),
    Column(gettext_lazy("State"), lambda x: x.get_state_display()),
    Column(gettext_lazy("In this state since"), lambda x: x.state_since),
    Column(gettext_lazy("Special audit"), lambda x: _audit_text(x)),
    Column(gettext_lazy("Decided on"), lambda x: x.decided_on),
    Column(gettext_lazy("Decided by"), lambda x: person_name(x.decided_by)),
]


def _audit_text(extension) -> str:
    if extension.audit_needed is None:
        return ""
    if not extension.audit_needed:
        return str(_("Not needed"))
    if extension.audit is None:
        return str(_("Needed, not planned yet"))
    return extension.audit.get_state_display()


def load_extension(request, pk) -> ScopeExtension:
    """The extension ``request.user`` may see, else 404 (never confirming it exists)."""
    try:
        return extension_for_page(request.user, pk)
    except ScopeExtension.DoesNotExist:
        raise Http404 from None


def _states(request) -> list[str]:
    """The ``state`` filter: extension states, or ``open`` / ``decided``; unknown values are
    ignored."""
    chosen = []
    for value in request.GET.getlist("state"):
        if value == "open":
            chosen += OPEN_STATES
        elif value == "decided":
            chosen += [ExtensionState.GRANTED, ExtensionState.REFUSED]
        elif value in ExtensionState.values:
            chosen.append(value)
    return list(dict.fromkeys(chosen))


def _pk(value):
    return parse_int(value)


@workspace_page()
def scope_extensions(request):
    states = _states(request)
    rows = extensions_list(
        request.user,
        states=states,
        certification=_pk(request.GET.get("certification")),
        client=_pk(request.GET.get("client")),
    )
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(
            fmt,
            filename=f"scope-extensions-{local_today().isoformat()}",
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=2000),
        )
    page = window(rows, request.GET.get("page"))
    choices = [("open", _("Open")), *ExtensionState.choices, ("decided", _("Decided"))]
    context = {
        "page": page,
        "choices": choices,
        "chosen": request.GET.getlist("state"),
        "open_states": OPEN_STATES,
        "today": local_today(),
    }
    template = "workspace/extensions/list.html"
    if getattr(request, "htmx", False) and not getattr(request.htmx, "boosted", False):
        template = "workspace/extensions/_table.html"
    return render(request, template, context)


@workspace_page(Role.STAFF)
def scope_extension_new(request, pk):
    """Apply for an extension of the scope of certification ``pk`` (CB staff reviewing
    applications): what is added, the sites of this client, the whole scope after it."""
    if not request.user.has_perm(APPLY_PERMISSION):
        raise PermissionDenied
    cert = load_certification(request, pk)
    form = ScopeExtensionApplyForm(request.POST or None, certification=cert)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            extension = svc.scope_extension_apply(
                certification=cert,
                received_on=d["received_on"],
                services=d["services"],
                scope=d["scope"],
                sites=list(d["sites"]),
                by=request.user,
            )
        except DomainError as err:
            for message in err.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The scope extension application is recorded."))
            return redirect("workspace:scope_extension", pk=extension.pk)
    # Said before the form is filled: an extension is applied for on an active certification.
    problems = svc.scope_extension_apply_problems(
        certification=cert, received_on=None, services="-", scope="-"
    )
    context = {"cert": cert, "form": form, "problems": problems}
    return render(request, "workspace/extensions/new.html", context)


def _waiting_for_others(extension, user) -> list[str]:
    """The steps the state allows that someone else takes (a decision maker's grant, CB
    staff's review): what the extension waits for."""
    return [
        transition_label(extension, name)
        for name in available_transitions(extension)
        if name in TABLE and not user_may(extension, name, user)
    ]


@workspace_page()
def scope_extension(request, pk):
    extension = load_extension(request, pk)
    context = {
        "ext": extension,
        "cert": extension.certification,
        "sites": list(extension.sites.all()),
        "offers": offers(
            extension, TABLE, request.user, inputs=extension_preview_inputs(extension)
        ),
        "waiting_for": _waiting_for_others(extension, request.user),
        "history": extension_history(extension),
    }
    return render(request, "workspace/extensions/extension.html", context)


def _next_url(request, extension) -> str:
    return safe_next(request, reverse("workspace:scope_extension", args=[extension.pk]))


def _done(request, extension, name, before):
    label = transition_label(extension, name)
    return action_done(request, label, _next_url(request, extension), notices_after(before))


@workspace_page()
def scope_extension_action(request, pk, name):
    """GET: the small form of action ``name`` (with what blocks it now); POST: take it. A user
    without the transition's permission gets 403; an action the state does not allow goes
    back to the page with the reason; a refusal of the rules is shown on the form (nothing
    changed)."""
    extension = load_extension(request, pk)
    before = before_action(extension.certification_id) if request.method == "POST" else None
    try:
        if request.method == "POST":
            taken = take(extension, TABLE, name, request.POST, request.user)
            if taken.done:
                return _done(request, extension, name, before)
            form = taken.form
            extension = load_extension(request, pk)  # as it is: the refused service changed nothing
        else:
            check(extension, TABLE, name, request.user)
            form = action_form(extension, TABLE, name)
    except ActionUnavailable as err:
        for message in err.messages:
            messages.error(request, message)
        return redirect("workspace:scope_extension", pk=extension.pk)
    context = {
        "ext": extension,
        "cert": extension.certification,
        "name": name,
        "label": transition_label(extension, name),
        "form": form,
        "danger": name in DANGER,
        "blockers": blockers_now(
            extension, name, request.user, inputs=extension_preview_inputs(extension)
        ),
        "next": _next_url(request, extension),
        "action_url": reverse("workspace:scope_extension_action", args=[extension.pk, name]),
    }
    template = "workspace/extensions/action.html"
    if getattr(request, "htmx", False):
        template = "workspace/_action_form.html"
    return render(request, template, context)


urlpatterns = [
    path("extensions/", scope_extensions, name="scope_extensions"),
    path("extensions/<int:pk>/", scope_extension, name="scope_extension"),
    path(
        "extensions/<int:pk>/do/<slug:name>/", scope_extension_action, name="scope_extension_action"
    ),
    path(
        "certifications/<int:pk>/extensions/new/",
        scope_extension_new,
        name="scope_extension_new",
    ),
]
