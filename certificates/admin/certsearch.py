"""The monthly IAF CertSearch upload duty (certificates/certsearch.py): staff record the upload."""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from certificates.certsearch import MANAGE_PERMISSION
from certificates.certsearch_delivery import certsearch_record_upload
from certificates.models import CertSearchUpload
from core.names import person_name

from .forms import CertSearchUploadForm


@admin.register(CertSearchUpload)
class CertSearchUploadAdmin(admin.ModelAdmin):
    """The monthly IAF CertSearch duty: staff see each month's export and record the upload
    (who, when); until then the daily reminders chase it. Rows are written by the export and
    the reminder scan only, and kept."""

    form = CertSearchUploadForm
    list_display = ("month_label", "exported_at", "file_count", "uploaded_at", "uploader")
    list_filter = (("uploaded_at", admin.EmptyFieldListFilter),)
    readonly_fields = (
        "month_label",
        "exported_at",
        "folder",
        "file_list",
        "uploaded_at",
        "uploader",
    )
    actions = ["record_upload"]

    def get_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.uploaded_at is None and self.has_change_permission(request):
            fields.append("uploaded")
        return fields

    @admin.display(description=_("uploaded by"), ordering="uploaded_by__last_name")
    def uploader(self, obj):
        return person_name(obj.uploaded_by) or "-"

    def _may(self, request):
        return request.user.is_active and request.user.has_perm(MANAGE_PERMISSION)

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, obj):
        return f"{obj.month:%Y-%m}"

    @admin.display(description=_("files"))
    def file_count(self, obj):
        return len(obj.files)

    @admin.display(description=_("files"))
    def file_list(self, obj):
        return format_html_join(
            "\n", "<div>{}: {}</div>", ((name, rows) for name, rows in obj.files)
        ) or _("Not exported yet: run the export (admin action or manage.py export_certsearch).")

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("uploaded"):
            certsearch_record_upload(
                uploads=CertSearchUpload.objects.filter(pk=obj.pk), by=request.user
            )

    @admin.action(description=_("Record as uploaded to IAF CertSearch"), permissions=["change"])
    def record_upload(self, request, queryset):
        count = certsearch_record_upload(uploads=queryset, by=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d month recorded as uploaded.",
                "%(count)d months recorded as uploaded.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
