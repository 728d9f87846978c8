"""Imports from the admin: upload, preview, confirm, follow the job."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from clients.imports.jobs import job_confirm, job_start
from clients.imports.registry import IMPORT_KINDS
from clients.imports.runner import job_progress
from clients.models import ImportJob
from core.names import person_name
from core.policy import policy
from infra.tabular import ImportFileError, check_workbook


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


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Upload a client list or existing certificates, see the preview (what would be created,
    updated and left unchanged, every row error), confirm, and follow the import."""

    list_display = ("__str__", "phase", "status", "rows_done", "uploader", "created_at")
    list_filter = ("kind", "status")

    @admin.display(description=_("uploaded by"), ordering="created_by__last_name")
    def uploader(self, obj):
        return person_name(obj.created_by) or "-"

    def _may(self, request, kind=None):
        """Whether the user may import files of ``kind`` (None: of any kind); each kind's
        permissions are registered with it (clients/imports/registry.py)."""
        kinds = [IMPORT_KINDS[kind]] if kind else list(IMPORT_KINDS.values())
        return any(request.user.has_perms(k.permissions) for k in kinds)

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
