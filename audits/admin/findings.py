"""Staff and auditor workspace for findings: raised through ``finding_raise`` (only by the team
leader of an audit open for findings), followed up by transitions; reworded only by that team
leader while the audit is open (audits/access.py)."""

from django.contrib import admin

from core.admin_transitions import HistoryInline, TransitionAdminMixin
from core.dates import local_today
from core.need_to_know import NeedToKnowAdminMixin

from .. import access
from .. import services as svc
from ..actions import FINDING_ACTIONS
from ..forms import FindingAdminForm
from ..models import Finding


@admin.register(Finding)
class FindingAdmin(NeedToKnowAdminMixin, TransitionAdminMixin, admin.ModelAdmin):
    form = FindingAdminForm
    list_display = (
        "audit",
        "grade",
        "clause",
        "state",
        "raised_on",
        "plan_due",
        "correction_due",
        "verification_due",
    )
    list_filter = ("grade", "state")
    search_fields = ("description", "clause", "audit__certification__client__legal_name")
    list_select_related = ("audit__certification__client", "audit__certification__standard")
    autocomplete_fields = ("audit",)
    fields = (
        "audit",
        "grade",
        "clause",
        "description",
        "state",
        "raised_on",
        "plan_due",
        "correction_due",
        "verification_due",
        "plan",
        "plan_accepted_on",
        "corrected_on",
        "verified_on",
    )
    inlines = [HistoryInline]
    transition_actions = FINDING_ACTIONS

    def get_readonly_fields(self, request, obj=None):
        base = (
            *(("raised_on",) if obj is not None else ()),  # a new finding says when it was raised
            "plan_due",
            "correction_due",
            "verification_due",
            "plan",
            "plan_accepted_on",
            "corrected_on",
            "verified_on",
        )
        if obj is not None:
            base = (*base, "audit", "grade")
        return (*super().get_readonly_fields(request, obj), *base)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Rewording a finding is its team leader's while the audit is open (audits.access).
        if obj is not None and not access.may_edit_finding(obj, request.user):
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = svc.finding_raise(
            audit=obj.audit,
            grade=obj.grade,
            clause=obj.clause,
            description=obj.description,
            by=request.user,
            on=obj.raised_on or local_today(),
        )
        obj.pk = created.pk
