"""Staff and auditor workspace for audits and findings. New audits and findings are created
through the services (audit_plan, finding_raise); their states change only by transitions."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_transitions import (
    HistoryInline,
    ReasonForm,
    TransitionAction,
    TransitionAdminMixin,
    TransitionForm,
)
from core.dates import local_today, not_after_today
from core.errors import DomainError

from . import access
from . import services as svc
from .admin_access import NeedToKnowAdminMixin
from .models import Audit, AuditRole, AuditState, Finding, Recommendation


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


class AuditForm(forms.ModelForm):
    class Meta:
        model = Audit
        fields = (
            "certification",
            "kind",
            "planned_start",
            "planned_end",
            "team_leader",
            "members",
            "late_reason",
        )

    def clean(self):
        data = super().clean()
        if self.instance.pk or not (data.get("certification") and data.get("kind")):
            return data
        problems = svc.audit_plan_problems(data["certification"], data["kind"])
        for problem in problems:
            self.add_error("kind", problem)
        start, end = data.get("planned_start"), data.get("planned_end")
        if problems or not (start and end) or end < start:
            return data
        if data.get("team_leader") is None:
            self.add_error("team_leader", svc.audits.MSG_NO_LEADER)
            return data
        draft = Audit(
            certification=data["certification"],
            kind=data["kind"],
            planned_start=start,
            planned_end=end,
        )
        for problem in svc.audit_team_problems(
            audit=draft, team_leader=data["team_leader"], members=data.get("members") or ()
        ):
            self.add_error(None, problem)
        return data


# -- Programme and team forms (each calls a service; refusals come back as form errors) -----------
def _people():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class TeamForm(forms.Form):
    team_leader = forms.ModelChoiceField(label=_("Team leader"), queryset=_people())
    members = forms.ModelMultipleChoiceField(
        label=_("Auditors"), queryset=_people(), required=False
    )
    technical_experts = forms.ModelMultipleChoiceField(
        label=_("Technical experts"), queryset=_people(), required=False
    )
    acknowledge_warnings = forms.BooleanField(
        label=_("I have read the warnings and keep this team"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("team_leader", "members", "technical_experts"):
            self.fields[name].queryset = _people()


class RescheduleForm(forms.Form):
    planned_start = forms.DateField(
        label=_("Planned start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_end = forms.DateField(
        label=_("Planned end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason for holding it after its deadline"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when the last day is after the audit's due date."),
    )
    confirm = forms.BooleanField(
        label=_("The client confirmed these dates"),
        required=False,
        help_text=_("An audit can start only once its dates are confirmed."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end is before the planned start."))
        return data


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


class FindingForm(forms.ModelForm):
    """A new finding: only on an audit the user leads and that is open for findings (the
    service checks the same: audits.access)."""

    user = None  # set by FindingAdmin.get_form

    class Meta:
        model = Finding
        fields = ("audit", "grade", "clause", "description", "raised_on")
        widgets = {"raised_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "audit" in self.fields:
            self.fields["audit"].queryset = access.audits_user_may_raise_findings_on(self.user)
        if "raised_on" in self.fields:
            # The day the finding was raised in the audit: today or a past day of the audit.
            self.fields["raised_on"].initial = local_today
            self.fields["raised_on"].validators.append(not_after_today)

    def clean(self):
        data = super().clean()
        if not self.instance.pk and data.get("audit"):
            for problem in svc.finding_raise_problems(data["audit"], self.user):
                self.add_error("audit", problem)
        return data


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
        return _("%(days)s auditor-days, at least %(onsite)s on site") % {
            "days": obj.audit_days,
            "onsite": obj.onsite_days if obj.onsite_days is not None else "-",
        }

    @admin.display(description=_("audit time trace"))
    def audit_time_lines(self, obj):
        lines = obj.audit_time_trace or []
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
        detail = (
            _(
                "Drawn for %(kind)s: %(size)s besides the central function; seed %(seed)s; "
                "at random %(random)s; then not yet visited first %(preferred)s; visited "
                "before in the cycle %(visited)s."
            )
            % {
                "kind": trace.get("kind", "-"),
                "size": trace.get("size", 0),
                "seed": trace.get("seed", "-"),
                "random": trace.get("random", []),
                "preferred": trace.get("preferred_unvisited_first", []),
                "visited": trace.get("visited_before", []),
            }
            if trace
            else ""
        )
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
        roles = dict(audit.bookings.values_list("auditor_id", "role"))
        current = list(audit.members.all())
        initial = {
            "team_leader": audit.team_leader_id,
            "members": [u.pk for u in current if roles.get(u.pk) != AuditRole.TECHNICAL_EXPERT],
            "technical_experts": [
                u.pk for u in current if roles.get(u.pk) == AuditRole.TECHNICAL_EXPERT
            ],
        }
        form = TeamForm(request.POST or None, initial=initial)
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
        suggestions = {
            role: svc.auditor_suggestions(audit=audit, role=role)
            for role in (AuditRole.TEAM_LEADER, AuditRole.AUDITOR, AuditRole.TECHNICAL_EXPERT)
        }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": audit,
            "title": _("Audit team"),
            "form": form,
            "warnings": warnings,
            "suggestions": [(AuditRole(role).label, rows) for role, rows in suggestions.items()],
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


@admin.register(Finding)
class FindingAdmin(NeedToKnowAdminMixin, TransitionAdminMixin, admin.ModelAdmin):
    form = FindingForm
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


# The audit-time tables and calculations, and auditor profiles, have their own admin modules.
from . import admin_audit_time, admin_auditors  # noqa: E402, F401
