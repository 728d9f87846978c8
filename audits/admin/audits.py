"""Staff and auditor workspace for audits: the audit list and page, its transition buttons,
and the team and reschedule pages. New audits are created through ``audit_plan``; their states
change only by transitions; team and dates only through the services behind the forms."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_transitions import HistoryInline, TransitionAdminMixin
from core.dates import local_today
from core.errors import DomainError
from core.need_to_know import NeedToKnowAdminMixin

from .. import services as svc
from ..actions import (
    AUDIT_ACTIONS,
    TeamPickForm,
    audit_preview_inputs,
    current_team,
    team_suggestions,
)
from ..audit_time.display import audit_time_text, render_audit_trace
from ..forms import AuditForm, RescheduleForm
from ..models import Audit, AuditKind, AuditState, Finding
from ..sampling import sample_note


class FindingInline(admin.TabularInline):
    model = Finding
    fields = (
        "grade",
        "clause",
        "description",
        "state",
        "plan_due",
        "correction_due",
        "verification_due",
    )
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False


class LateFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", _("Planned after its due date")), ("no", _("Within its due date"))]

    def queryset(self, request, queryset):
        late = Q(due_by__isnull=False, planned_end__gt=F("due_by"))
        if self.value() == "yes":
            return queryset.filter(late)
        if self.value() == "no":
            return queryset.exclude(late)
        return queryset


class NoTeamFilter(admin.SimpleListFilter):
    title = _("team")
    parameter_name = "team"

    def lookups(self, request, model_admin):
        return [("none", _("No team yet")), ("set", _("Team leader named"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(team_leader__isnull=True)
        if self.value() == "set":
            return queryset.filter(team_leader__isnull=False)
        return queryset


@admin.register(Audit)
class AuditAdmin(NeedToKnowAdminMixin, TransitionAdminMixin, admin.ModelAdmin):
    form = AuditForm
    list_display = (
        "certification",
        "kind",
        "state",
        "planned_start",
        "planned_end",
        "dates_confirmed",
        "due_by",
        "late_flag",
        "team_leader",
        "recommendation",
    )
    list_filter = (
        "kind",
        "state",
        ("dates_confirmed", admin.BooleanFieldListFilter),
        NoTeamFilter,
        LateFilter,
        "certification__standard",
    )
    search_fields = (
        "certification__client__legal_name",
        "certification__client__english_name",
        "certification__certificate_number",
    )
    list_select_related = ("certification__client", "certification__standard", "team_leader")
    autocomplete_fields = ("certification",)
    date_hierarchy = "planned_start"
    inlines = [FindingInline, HistoryInline]
    transition_actions = AUDIT_ACTIONS

    def preview_inputs(self, obj) -> dict:
        return audit_preview_inputs(obj)

    PROGRAMME_FIELDS = (
        "planning_links",
        "dates_confirmed",
        "programme_year",
        "planning_from",
        "due_by",
        "late_flag",
        "late_reason",
        "audit_time",
        "audit_time_lines",
        "sample",
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        return [
            (
                None,
                {
                    "fields": (
                        "certification",
                        "kind",
                        "cycle",
                        "planned_start",
                        "planned_end",
                        "team_leader",
                        "members",
                        "actual_start",
                        "actual_end",
                        "recommendation",
                        "justification",
                        "closed_on",
                        "decision",
                    )
                },
            ),
            (_("Programme, audit time and sample"), {"fields": self.PROGRAMME_FIELDS}),
        ]

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
            # Dates and team change only through the forms below, which apply the rules.
            base = (
                *base,
                "certification",
                "kind",
                "planned_start",
                "planned_end",
                "team_leader",
                "members",
                *self.PROGRAMME_FIELDS,
            )
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
            members=form.cleaned_data.get("members") or (),
            late_reason=obj.late_reason,
            by=request.user,
        )
        obj.pk = created.pk
        obj.cycle = created.cycle

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
        # A new audit's team was set (and booked) by audit_plan.

    # -- read-only displays ------------------------------------------------------------------------
    @admin.display(description=_("late"), boolean=True)
    def late_flag(self, obj):
        return obj.is_late

    @admin.display(description=_("audit time"))
    def audit_time(self, obj):
        if obj.audit_days is None:
            return "-"
        return audit_time_text(obj.audit_days, obj.onsite_days, stage1=obj.kind == AuditKind.STAGE1)

    @admin.display(description=_("audit time trace"))
    def audit_time_lines(self, obj):
        lines = render_audit_trace(obj.audit_time_trace or [])
        if not lines:
            return "-"
        items = format_html_join("", "<li>{}</li>", ((line,) for line in lines))
        return format_html("<ul>{}</ul>", items)

    @admin.display(description=_("sites to visit (sample)"))
    def sample(self, obj):
        sites = list(obj.sites.all())
        trace = obj.sample_trace or {}
        if not sites and not trace:
            return "-"
        listing = format_html_join(
            "",
            "<li>{}{}</li>",
            ((site, _(" (central function)") if site.is_central else "") for site in sites),
        )
        names = {site.pk: site.name for site in obj.certification.client.sites.all()}
        detail = sample_note(trace, names)
        return format_html("<ul>{}</ul><p>{}</p>", listing, detail)

    @admin.display(description=_("plan"))
    def planning_links(self, obj):
        if obj is None or obj.pk is None or obj.state != AuditState.PLANNED:
            return "-"
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            reverse("admin:audits_audit_team", args=[obj.pk]),
            _("Team"),
            reverse("admin:audits_audit_reschedule", args=[obj.pk]),
            _("Reschedule / confirm dates"),
        )

    # -- the team and reschedule pages -------------------------------------------------------------
    def get_urls(self):
        return [
            path(
                "<path:object_id>/team/",
                self.admin_site.admin_view(self.team_view),
                name="audits_audit_team",
            ),
            path(
                "<path:object_id>/reschedule/",
                self.admin_site.admin_view(self.reschedule_view),
                name="audits_audit_reschedule",
            ),
            *super().get_urls(),
        ]

    def _planned_audit(self, request, object_id):
        audit = get_object_or_404(
            self.get_queryset(request).select_related(
                "certification__client", "certification__standard"
            ),
            pk=unquote(object_id),
        )
        if not request.user.has_perm("audits.manage_audit"):
            raise PermissionDenied
        return audit

    def team_view(self, request, object_id):
        audit = self._planned_audit(request, object_id)
        current = current_team(audit)
        form = TeamPickForm(request.POST or None, initial=current, audit=audit)
        warnings = []
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                result = svc.audit_set_team(
                    audit=audit,
                    team_leader=d["team_leader"],
                    members=d["members"],
                    technical_experts=d["technical_experts"],
                    by=request.user,
                    on=local_today(),
                    acknowledge_warnings=d["acknowledge_warnings"],
                )
            except svc.TeamWarnings as err:
                warnings = err.warnings
                form.add_error("acknowledge_warnings", svc.teams.MSG_UNACKNOWLEDGED)
            except DomainError as err:
                for message in err.messages:
                    form.add_error(None, message)
            else:
                for warning in result.warnings:
                    self.message_user(request, warning, messages.WARNING)
                self.message_user(request, _("The team is set and booked."), messages.SUCCESS)
                return redirect(reverse("admin:audits_audit_change", args=[audit.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": audit,
            "title": _("Audit team"),
            "form": form,
            "warnings": warnings,
            "suggestions": team_suggestions(audit, current),
            "change_url": reverse("admin:audits_audit_change", args=[audit.pk]),
        }
        return TemplateResponse(request, "admin/audits/audit_team.html", context)

    def reschedule_view(self, request, object_id):
        audit = self._planned_audit(request, object_id)
        form = RescheduleForm(
            request.POST or None,
            initial={
                "planned_start": audit.planned_start,
                "planned_end": audit.planned_end,
                "reason": audit.late_reason,
                "confirm": audit.dates_confirmed,
            },
        )
        if request.method == "POST" and form.is_valid():
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
                self.message_user(request, _("The audit dates are saved."), messages.SUCCESS)
                return redirect(reverse("admin:audits_audit_change", args=[audit.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": audit,
            "title": _("Reschedule / confirm dates"),
            "form": form,
            "blockers": [],
            "change_url": reverse("admin:audits_audit_change", args=[audit.pk]),
        }
        return TemplateResponse(request, "admin/certbody/transition_form.html", context)
