"""Staff workspace for clients, standards and applications."""

import io

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.html import format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audits.admin_access import NeedToKnowAdminMixin
from audits.admin_audit_time import application_summary, calculate_view
from certbody.dates import local_today
from certbody.policy import policy
from certificates.services import application_open_certifications, application_open_problems

from .imports.jobs import job_confirm, job_progress, job_start
from .imports.tabular import ImportFileError, check_workbook
from .models import (
    Application,
    ApplicationDocument,
    Client,
    Contact,
    ImportJob,
    Penalty,
    RequiredDocument,
    Site,
    Standard,
)


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class PenaltyInline(admin.TabularInline):
    """Administrative penalties found for the client: one during operation or in the year
    before it bars acceptance of an application (shared/domain.md, Intake 4)."""

    model = Penalty
    extra = 0
    fields = ("decided_on", "authority", "reference", "decision")


@admin.register(Client)
class ClientAdmin(NeedToKnowAdminMixin, admin.ModelAdmin):
    list_display = (
        "legal_name",
        "english_name",
        "registration_id",
        "city",
        "country",
        "effective_personnel",
    )
    list_filter = ("country", "city", "restricted_listing")
    search_fields = ("legal_name", "english_name", "registration_id", "city")
    inlines = [SiteInline, ContactInline, PenaltyInline]
    actions = ["export_xlsx", "export_csv"]

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept for the current and the previous cycle

    def _export(self, queryset, fmt):
        """The selected clients in the import's columns (clients/imports/client_export.py):
        the file imports back unchanged."""
        from clients.imports.client_export import export_clients

        stamp = local_today().isoformat()
        buffer = io.BytesIO()
        export_clients(buffer, format=fmt, language=get_language() or "zh", queryset=queryset)
        content_type = {
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "csv": "text/csv; charset=utf-8",
        }[fmt]
        response = HttpResponse(buffer.getvalue(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="clients-{stamp}.{fmt}"'
        return response

    @admin.action(description=_("Export to Excel (.xlsx), importable again"))
    def export_xlsx(self, request, queryset):
        return self._export(queryset, "xlsx")

    @admin.action(description=_("Export to CSV (UTF-8 with BOM), importable again"))
    def export_csv(self, request, queryset):
        return self._export(queryset, "csv")


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ("__str__", "title", "certificate_code", "is_active")
    search_fields = ("code", "title")
    inlines = [RequiredDocumentInline]


class ApplicationDocumentInline(admin.TabularInline):
    model = ApplicationDocument
    extra = 0
    autocomplete_fields = ("required_document",)


@admin.register(RequiredDocument)
class RequiredDocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "title_zh", "standard", "position")
    list_filter = ("standard",)
    search_fields = ("title", "title_zh")

    def has_module_permission(self, request):
        return False  # edited from the standard's page


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = (
            "client",
            "standards",
            "received_on",
            "scope",
            "sites",
            "effective_personnel",
            "language",
            "system_operating_since",
            "internal_audit_on",
            "management_review_on",
            "no_penalty_declared",
            "legal_registration_checked",
            "impartiality_threats",
            "notes",
        )

    def clean(self):
        data = super().clean()
        if not self.instance.pk and data.get("client") and data.get("standards"):
            for problem in application_open_problems(
                client=data["client"], standards=data["standards"]
            ):
                self.add_error("standards", problem)
        return data


@admin.register(Application)
class ApplicationAdmin(NeedToKnowAdminMixin, admin.ModelAdmin):
    form = ApplicationForm
    list_display = ("client", "received_on", "standards_list", "effective_personnel")
    list_filter = ("standards", "received_on")
    search_fields = ("client__legal_name", "client__english_name", "client__registration_id")
    autocomplete_fields = ("client",)
    filter_horizontal = ("standards",)
    readonly_fields = ("intake_check", "audit_time")
    inlines = [ApplicationDocumentInline]
    date_hierarchy = "received_on"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("client").prefetch_related("standards")

    @admin.display(description=_("standards"))
    def standards_list(self, obj):
        return ", ".join(str(s) for s in obj.standards.all())

    @admin.display(description=_("intake check"))
    def intake_check(self, obj):
        """What stands between this application and acceptance, per standard."""
        if not obj.pk:
            return "-"
        rows = []
        for standard in obj.standards.all():
            problems = obj.intake_problems(standard=standard)
            rows.append((str(standard), "; ".join(problems) if problems else _("complete")))
        return format_html_join("", "<p><strong>{}</strong>: {}</p>", rows) or "-"

    @admin.display(description=_("audit time"))
    def audit_time(self, obj):
        """The current audit-time calculation (IAF MD 5), with its printable trace."""
        return application_summary(obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/audit-time/",
                self.admin_site.admin_view(self.audit_time_view),
                name="clients_application_audit_time",
            ),
            *super().get_urls(),
        ]

    def audit_time_view(self, request, object_id):
        application = self.visible_object_or_404(request, unquote(object_id))
        if not self.has_view_permission(request, application):
            raise PermissionDenied
        return calculate_view(self, request, application)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            # A new application opens one certification per standard (or reopens one).
            application_open_certifications(application=form.instance, by=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


# -- imports -----------------------------------------------------------------------------------
class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX.")
    )
    encoding = forms.ChoiceField(
        label=_("Encoding of a CSV file"),
        required=False,
        choices=[
            ("", _("Detect")),
            ("utf-8", "UTF-8"),
            ("utf-8-sig", _("UTF-8 with BOM")),
            ("gbk", "GBK"),
            ("gb18030", "GB18030"),
        ],
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = policy("IMPORT_MAX_BYTES")
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit).0f MB.")
                % {"size": upload.size / 2**20, "limit": limit / 2**20}
            )
        # A workbook over the unpacking limits is refused now, from its ZIP directory alone.
        try:
            check_workbook(upload)
        except ImportFileError as err:
            raise forms.ValidationError(err.messages) from err
        return upload


IMPORT_PERMISSIONS = {
    ImportJob.Kind.CLIENTS: ("clients.add_client", "clients.change_client"),
    # Bringing in a certificate records its grant: the decision makers' permission.
    ImportJob.Kind.CERTIFICATES: ("certificates.decide_certification",),
}


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Upload a client list or existing certificates, see the preview (what would be created,
    updated and left unchanged, every row error), confirm, and follow the import."""

    list_display = ("__str__", "phase", "status", "rows_done", "created_by", "created_at")
    list_filter = ("kind", "status")

    def _may(self, request, kind=None):
        kinds = [kind] if kind else list(IMPORT_PERMISSIONS)
        return any(request.user.has_perms(IMPORT_PERMISSIONS[k]) for k in kinds)

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj.kind if obj else None)

    def has_add_permission(self, request):
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj.kind if obj else None)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            kind = form.cleaned_data["kind"]
            if not self._may(request, kind):
                raise PermissionDenied
            job = job_start(
                kind=kind,
                upload=form.cleaned_data["file"],
                encoding=form.cleaned_data["encoding"],
                by=request.user,
            )
            return redirect("admin:clients_importjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a file"),
            "form": form,
            "columns_doc": "clients/imports/columns.py",
        }
        return render(request, "admin/clients/import_upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        error = None
        if request.method == "POST" and "confirm" in request.POST:
            try:
                job = job_confirm(job)
                return redirect("admin:clients_importjob_change", job.pk)
            except ValueError as err:
                error = str(err)
        done, total = job_progress(job)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(job),
            "job": job,
            "report": job.report,
            "done": done,
            "total": total,
            "running": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
            "error": error,
            "can_confirm": (
                job.phase == ImportJob.Phase.PREVIEW
                and job.status == ImportJob.Status.DONE
                and job.report.get("ok")
            ),
        }
        return render(request, "admin/clients/import_job.html", context)
