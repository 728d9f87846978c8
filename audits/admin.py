"""Staff and auditor workspace for audits and findings. New audits and findings are created
through the services (audit_plan, finding_raise); their states change only by transitions."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from certbody.admin_transitions import (
    HistoryInline,
    ReasonForm,
    TransitionAction,
    TransitionAdminMixin,
    TransitionForm,
)
from certbody.dates import local_today

from . import services as svc
from .models import Audit, Finding, Recommendation


class ReportForm(TransitionForm):
    recommendation = forms.ChoiceField(label=_("Recommendation"), choices=Recommendation.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].label = _("Last day of the audit")


class PlanForm(TransitionForm):
    plan = forms.CharField(
        label=_("Correction and corrective action plan"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class FindingInline(admin.TabularInline):
    model = Finding
    fields = ("grade", "clause", "description", "state", "plan_due", "verification_due")
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False


class AuditForm(forms.ModelForm):
    class Meta:
        model = Audit
        fields = ("certification", "kind", "planned_start", "planned_end", "team_leader", "members")

    def clean(self):
        data = super().clean()
        if not self.instance.pk and data.get("certification") and data.get("kind"):
            for problem in svc.audit_plan_problems(data["certification"], data["kind"]):
                self.add_error("kind", problem)
        return data


class FindingForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = ("audit", "grade", "clause", "description")

    def clean(self):
        data = super().clean()
        if not self.instance.pk and data.get("audit"):
            for problem in svc.finding_raise_problems(data["audit"]):
                self.add_error("audit", problem)
        return data


@admin.register(Audit)
class AuditAdmin(TransitionAdminMixin, admin.ModelAdmin):
    form = AuditForm
    list_display = (
        "certification",
        "kind",
        "state",
        "planned_start",
        "planned_end",
        "team_leader",
        "recommendation",
    )
    list_filter = ("kind", "state", "certification__standard")
    search_fields = (
        "certification__client__legal_name",
        "certification__client__english_name",
        "certification__certificate_number",
    )
    list_select_related = ("certification__client", "certification__standard", "team_leader")
    autocomplete_fields = ("certification",)
    date_hierarchy = "planned_start"
    inlines = [FindingInline, HistoryInline]
    transition_actions = {
        "start": TransitionAction(
            TransitionForm, lambda obj, d, user, on: svc.audit_start(audit=obj, by=user, on=on)
        ),
        "submit_report": TransitionAction(
            ReportForm,
            lambda obj, d, user, on: svc.audit_submit_report(
                audit=obj, recommendation=d["recommendation"], by=user, on=on
            ),
        ),
        "close": TransitionAction(
            TransitionForm, lambda obj, d, user, on: svc.audit_close(audit=obj, by=user, on=on)
        ),
        "cancel": TransitionAction(
            ReasonForm,
            lambda obj, d, user, on: svc.audit_cancel(
                audit=obj, reason=d["reason"], by=user, on=on
            ),
        ),
    }

    def get_readonly_fields(self, request, obj=None):
        base = (
            "cycle",
            "actual_start",
            "actual_end",
            "recommendation",
            "justification",
            "closed_on",
            "decision",
        )
        if obj is not None:
            base = (*base, "certification", "kind")
        return (*super().get_readonly_fields(request, obj), *base)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = svc.audit_plan(
            certification=obj.certification,
            kind=obj.kind,
            planned_start=obj.planned_start,
            planned_end=obj.planned_end,
            team_leader=obj.team_leader,
            by=request.user,
        )
        obj.pk = created.pk
        obj.cycle = created.cycle


@admin.register(Finding)
class FindingAdmin(TransitionAdminMixin, admin.ModelAdmin):
    form = FindingForm
    list_display = (
        "audit",
        "grade",
        "clause",
        "state",
        "raised_on",
        "plan_due",
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
        "verification_due",
        "plan",
        "plan_accepted_on",
        "corrected_on",
        "verified_on",
    )
    inlines = [HistoryInline]
    transition_actions = {
        "accept_plan": TransitionAction(
            PlanForm,
            lambda obj, d, user, on: svc.finding_accept_plan(
                finding=obj, plan=d["plan"], by=user, on=on
            ),
        ),
        "mark_corrected": TransitionAction(
            TransitionForm,
            lambda obj, d, user, on: svc.finding_mark_corrected(finding=obj, by=user, on=on),
        ),
        "verify": TransitionAction(
            TransitionForm,
            lambda obj, d, user, on: svc.finding_verify(finding=obj, by=user, on=on),
        ),
    }

    def get_readonly_fields(self, request, obj=None):
        base = (
            "raised_on",
            "plan_due",
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

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = svc.finding_raise(
            audit=obj.audit,
            grade=obj.grade,
            clause=obj.clause,
            description=obj.description,
            by=request.user,
            on=local_today(),
        )
        obj.pk = created.pk


# The audit-time tables and calculations, and auditor profiles, have their own admin modules.
from . import admin_audit_time, admin_auditors  # noqa: E402, F401
