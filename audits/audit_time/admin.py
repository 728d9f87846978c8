"""Staff workspace for audit time: the per-standard tables (edited inline or imported from a
spreadsheet) and the calculations kept with applications, each printable for the contract.

Calculations are made from the application's page ("Calculate audit time": ``calculate_view``
below, mounted by the application's admin in the certificates app) through
``audit_time_calculate``; here they are read-only.

Band checks: overlapping bands are errors (a personnel figure would have two answers, so the
table cannot be saved or imported); gaps between bands are warnings (the rest of the table still
works, and a calculation for personnel in the gap is refused with a message naming the gap).
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse, translate_url
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from clients.models import Standard
from core.dates import local_today
from core.need_to_know import NeedToKnowAdminMixin
from core.policy import policy
from infra.importexport import SafeImportExportMixin

from ..errors import AuditError
from ..resources import AuditTimeRowResource
from ..sampling import sample_sizes
from .display import stage_figures
from .forms import AuditTimeForm, BandFormSet, FactorFormSet, SiteFormSet
from .models import AuditTimeCalculation, AuditTimeRow, AuditTimeTable
from .services import audit_time_calculate

STAND_IN_BADGE = _("STAND-IN: replace with the standard's own table")
STAND_IN_NOTE = _(
    "This is a stand-in table, not the standard's own: calculations made with it say so on "
    "every page and printout. Replace its rows with the standard's own table (edit them below, "
    "or import a spreadsheet under “Audit-time table rows”) and then untick “stand-in”."
)


def stand_in_badge(flag: bool):
    if not flag:
        return "-"
    return format_html(
        '<strong style="background:#ba2121;color:#fff;padding:2px 6px;border-radius:3px">'
        "{}</strong>",
        STAND_IN_BADGE,
    )


# -- tables ------------------------------------------------------------------------------------
class AuditTimeRowInline(admin.TabularInline):
    model = AuditTimeRow
    formset = BandFormSet
    extra = 0
    fields = ("min_personnel", "max_personnel", "days")


@admin.register(AuditTimeTable)
class AuditTimeTableAdmin(admin.ModelAdmin):
    list_display = ("standard", "source", "stand_in", "bands", "band_check")
    list_select_related = ("standard",)
    list_filter = ("is_stand_in",)
    search_fields = ("standard__code", "source")
    inlines = [AuditTimeRowInline]
    readonly_fields = ("band_check",)
    fields = (
        "standard",
        "source",
        "is_stand_in",
        "note",
        "beyond_band_width",
        "beyond_band_growth_percent",
        "beyond_band_days",
        "band_check",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("rows")

    @admin.display(description=_("stand-in"), ordering="is_stand_in")
    def stand_in(self, obj):
        return stand_in_badge(obj.is_stand_in)

    @admin.display(description=_("bands"))
    def bands(self, obj):
        rows = list(obj.rows.all())
        if not rows:
            return "-"
        return f"{len(rows)} ({rows[0].min_personnel}-{rows[-1].max_personnel})"

    @admin.display(description=_("band check"))
    def band_check(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        errors, warnings = obj.band_problems()
        if not errors and not warnings:
            return _("no gaps, no overlaps")
        return format_html("{}", "; ".join([*errors, *warnings]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and request.method == "GET":
            if obj.is_stand_in:
                self.message_user(request, STAND_IN_NOTE, messages.WARNING)
            for warning in obj.band_problems()[1]:
                self.message_user(request, warning, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for warning in getattr(formset, "band_warnings", []):
            self.message_user(request, warning, messages.WARNING)

    def has_delete_permission(self, request, obj=None):
        return False  # calculations refer to them; replace the rows instead


@admin.register(AuditTimeRow)
class AuditTimeRowAdmin(SafeImportExportMixin, ImportExportModelAdmin):
    """All bands of all tables, for import and export (a spreadsheet replaces the bands of the
    standards it names; see audits/resources.py). CSV and XLSX only, with the import's limits
    and CSV formula neutralisation (infra/importexport.py)."""

    resource_classes = [AuditTimeRowResource]
    list_display = ("table", "min_personnel", "max_personnel", "days")
    list_filter = ("table",)
    list_select_related = ("table__standard",)
    ordering = ("table__standard__code", "min_personnel")

    def process_result(self, result, request):
        response = super().process_result(result, request)
        for table in AuditTimeTable.objects.select_related("standard").prefetch_related("rows"):
            for warning in table.band_problems()[1]:
                self.message_user(request, warning, messages.WARNING)
            if table.is_stand_in:
                self.message_user(
                    request,
                    _(
                        "%(table)s is still marked as a stand-in: untick it on the table once "
                        "its rows are the standard's own."
                    )
                    % {"table": table.standard},
                    messages.WARNING,
                )
        return response


# -- calculations --------------------------------------------------------------------------------
def trace_context(calc: AuditTimeCalculation) -> dict:
    """What the printable trace and the summaries show, in the active language."""
    standards = {str(s.pk): s for s in Standard.objects.filter(pk__in=list(calc.results or {}))}
    per_standard = []
    for key, figures in (calc.results or {}).items():
        per_standard.append(
            {
                "standard": standards.get(key, key),
                "figures": calc.for_standard(key) or figures,
                # Each stage with its own share of the on-site minimum (never stage 2's days
                # beside the whole initial audit's minimum).
                "cells": stage_figures(figures),
            }
        )
    inputs = calc.inputs or {}
    return {
        "calc": calc,
        "application": calc.application,
        "client": calc.application.client,
        "lines": calc.trace_lines(),
        "per_standard": per_standard,
        "total_cells": stage_figures(
            {
                "initial": calc.initial_days,
                "stage1": calc.stage1_days,
                "stage2": calc.stage2_days,
                "onsite_min": calc.onsite_min_days,
                "surveillance": calc.surveillance_days,
                "recertification": calc.recertification_days,
            }
        ),
        "inputs": inputs,
        "stand_ins": [s for s in inputs.get("standards", []) if s.get("is_stand_in")],
        "years": [
            (1, _("surveillance"), calc.surveillance_days),
            (2, _("surveillance"), calc.surveillance_days),
            (3, _("recertification"), calc.recertification_days),
        ],
        "body_name": policy("BODY_NAME"),
    }


@admin.register(AuditTimeCalculation)
class AuditTimeCalculationAdmin(NeedToKnowAdminMixin, admin.ModelAdmin):
    list_display = (
        "application",
        "calculated_on",
        "initial_days",
        "stage1_days",
        "stage2_days",
        "surveillance_days",
        "recertification_days",
        "stand_in",
        "print_link",
    )
    list_select_related = ("application__client", "calculated_by")
    list_filter = ("uses_stand_in", "calculated_on")
    search_fields = ("application__client__legal_name", "application__client__english_name")
    date_hierarchy = "calculated_on"
    fields = (
        "application",
        "calculated_on",
        "calculated_by",
        "stand_in",
        "initial_days",
        "stage1_days",
        "stage2_days",
        "onsite_min_days",
        "surveillance_days",
        "recertification_days",
        "trace_display",
        "print_link",
    )
    readonly_fields = fields

    @admin.display(description=_("stand-in"), ordering="uses_stand_in")
    def stand_in(self, obj):
        return stand_in_badge(obj.uses_stand_in)

    @admin.display(description=_("trace"))
    def trace_display(self, obj):
        return format_html(
            "<ol>{}</ol>",
            format_html_join("", "<li>{}</li>", ((line,) for line in obj.trace_lines())),
        )

    @admin.display(description=_("printable trace"))
    def print_link(self, obj):
        url = reverse("admin:audits_audittimecalculation_print", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("print"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/print/",
                self.admin_site.admin_view(self.print_view),
                name="audits_audittimecalculation_print",
            ),
            *super().get_urls(),
        ]

    def print_view(self, request, object_id):
        calc = self.visible_object_or_404(
            request,
            unquote(object_id),
            AuditTimeCalculation.objects.select_related("application__client", "calculated_by"),
        )
        if not self.has_view_permission(request, calc):
            raise PermissionDenied
        lang = request.GET.get("lang") or translation.get_language()
        if lang not in {code for code, _name in _languages()}:
            raise Http404
        with translation.override(lang):
            context = trace_context(calc)
            here = request.get_full_path().split("?")[0]
            context["languages"] = [
                (code, name, translate_url(here, code)) for code, name in _languages()
            ]
            context["lang"] = lang
            response = TemplateResponse(request, "audits/audit_time_trace.html", context)
            response.render()
        return response

    def has_add_permission(self, request):
        return False  # made from the application's page, through the service

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # given to the client with the contract: kept


def _languages():
    return settings.LANGUAGES


# -- the "Calculate audit time" page of an application (mounted by its admin) ---------------------
def _filled(formset, keys):
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if any(data.get(k) not in (None, "") for k in keys):
            rows.append({k: data.get(k) for k in keys})
    return rows


def _initial_from(calc, application):
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


def calculate_view(model_admin, request, application):
    """Staff enter personnel, factors, integration and sampled sites; the service calculates
    and stores; the page then shows the current calculation and its trace."""
    if not request.user.has_perm("audits.add_audittimecalculation"):
        raise PermissionDenied
    current = AuditTimeCalculation.objects.current_for(application)
    initial, factor_initial, site_initial = _initial_from(current, application)
    data = request.POST if request.method == "POST" else None
    form = AuditTimeForm(data, initial=initial)
    factors = FactorFormSet(data, prefix="factors", initial=factor_initial)
    sites = SiteFormSet(data, prefix="sites", initial=site_initial)
    errors = []
    if data is not None and form.is_valid() and factors.is_valid() and sites.is_valid():
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
        except AuditError as err:
            errors = err.messages
        else:
            model_admin.message_user(
                request, _("Audit time calculated and recorded."), messages.SUCCESS
            )
            return redirect(request.path)
    site_list = list(application.sites.all())
    others = sum(1 for s in site_list if not s.is_central)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": application._meta,
        "original": application,
        "title": _("Calculate audit time"),
        "form": form,
        "factors": factors,
        "sites": sites,
        "errors": errors,
        "current": current,
        "current_context": trace_context(current) if current else None,
        "application_sites": site_list,
        "sample_sizes": sample_sizes(others) if len(site_list) > 1 else None,
        "other_sites": others,
        "tables": AuditTimeTable.objects.filter(
            standard__in=application.standards.all()
        ).select_related("standard"),
        "caps": {
            "reduction": policy("AUDIT_TIME_MAX_REDUCTION_PERCENT"),
            "integration": policy("AUDIT_TIME_MAX_INTEGRATION_PERCENT"),
            "site": policy("AUDIT_TIME_MAX_SITE_REDUCTION_PERCENT"),
        },
        "change_url": reverse("admin:clients_application_change", args=[application.pk]),
    }
    return TemplateResponse(request, "audits/audit_time_calculate.html", context)


def application_summary(application):
    """The current calculation in one paragraph with links, for the application's page."""
    if application is None or application.pk is None:
        return "-"
    calc = AuditTimeCalculation.objects.current_for(application)
    calc_url = reverse("admin:clients_application_audit_time", args=[application.pk])
    if calc is None:
        return format_html(
            '<strong style="color:#ba2121">{}</strong> <a href="{}">{}</a>',
            _("No audit-time calculation yet: the application cannot be accepted without one."),
            calc_url,
            _("Calculate audit time"),
        )
    print_url = reverse("admin:audits_audittimecalculation_print", args=[calc.pk])
    text = _(
        "Initial audit %(initial)s auditor-days (stage 1 %(stage1)s, stage 2 %(stage2)s, on site "
        "at least %(onsite)s); each surveillance %(surveillance)s; recertification "
        "%(recertification)s. Calculated on %(on)s."
    ) % {
        "initial": calc.initial_days,
        "stage1": calc.stage1_days,
        "stage2": calc.stage2_days,
        "onsite": calc.onsite_min_days,
        "surveillance": calc.surveillance_days,
        "recertification": calc.recertification_days,
        "on": calc.calculated_on.isoformat(),
    }
    return format_html(
        '{} {} <a href="{}" target="_blank">{}</a> | <a href="{}">{}</a>',
        text,
        stand_in_badge(calc.uses_stand_in) if calc.uses_stand_in else "",
        print_url,
        _("printable trace"),
        calc_url,
        _("recalculate"),
    )
