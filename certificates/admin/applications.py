"""Applications (clients.Application): intake, the document checklist, audit time.

Registered here, not in clients, because intake opens certifications (certificates.services)
and shows the audit time (audits); the admin URL names stay admin:clients_application_*.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from audits.audit_time.admin import application_summary, calculate_view
from certificates.services import application_open_certifications
from clients.models import Application, ApplicationDocument
from core.need_to_know import NeedToKnowAdminMixin

from .forms import ApplicationForm


class ApplicationDocumentInline(admin.TabularInline):
    model = ApplicationDocument
    extra = 0
    autocomplete_fields = ("required_document",)


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
