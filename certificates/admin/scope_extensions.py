"""Scope extension applications: recorded here, then reviewed, audited and decided with the
transition buttons (core/admin_transitions.py) of the action table shared with the workspace
(certificates/actions_scope.py), which call certificates.services."""

from django.contrib import admin

from certificates import services as svc
from certificates.actions_scope import SCOPE_EXTENSION_ACTIONS, extension_preview_inputs
from certificates.models import Certification, ScopeExtension
from core.admin_transitions import HistoryInline, TransitionAdminMixin
from core.need_to_know import NeedToKnowAdminMixin

from .forms import ScopeExtensionForm


@admin.register(ScopeExtension)
class ScopeExtensionAdmin(NeedToKnowAdminMixin, TransitionAdminMixin, admin.ModelAdmin):
    """Extension applications: recorded here, then reviewed, audited and decided with the
    buttons (certificates/models/scope_extensions.py)."""

    form = ScopeExtensionForm
    list_display = ("certification", "received_on", "services", "state", "decided_on")
    list_filter = ("state",)
    search_fields = ("certification__client__legal_name", "certification__certificate_number")
    list_select_related = ("certification__client", "certification__standard")
    raw_id_fields = ("certification",)
    filter_horizontal = ("sites",)
    inlines = [HistoryInline]
    transition_actions = SCOPE_EXTENSION_ACTIONS

    def get_readonly_fields(self, request, obj=None):
        readonly = (
            "audit_needed",
            "no_audit_justification",
            "reviewed_on",
            "reviewed_by",
            "audit",
            "decided_on",
            "decided_by",
            "decision",
        )
        if obj is not None:  # an application as received: changed only by its transitions
            readonly = ("certification", "received_on", "services", "scope", "sites", *readonly)
        return (*super().get_readonly_fields(request, obj), *readonly)

    def preview_inputs(self, obj) -> dict:
        return extension_preview_inputs(obj)

    def has_add_permission(self, request):
        # Recording an application is the application review's work (the service checks it).
        return super().has_add_permission(request) and request.user.has_perm(
            "certificates.review_application"
        )

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept (ISO/IEC 17021-1 8.4)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing to change by hand: the buttons take the steps
        d = form.cleaned_data
        created = svc.scope_extension_apply(
            certification=d["certification"],
            received_on=d["received_on"],
            services=d["services"],
            scope=d["scope"],
            sites=d.get("sites") or (),
            by=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
        # on add, the service has set the sites

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        cert = initial.get("certification")
        if cert and str(cert).isdigit():
            found = Certification.objects.filter(pk=int(cert)).first()
            if found is not None:
                initial.setdefault("scope", found.scope)
        return initial
