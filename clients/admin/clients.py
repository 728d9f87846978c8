"""Clients, their sites, contacts and penalties; standards and their required documents."""

import io

from django.contrib import admin
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clients.imports.client_export import export_clients
from clients.models import (
    Client,
    Contact,
    Penalty,
    RequiredDocument,
    Site,
    Standard,
)
from core.dates import local_today
from core.need_to_know import NeedToKnowAdminMixin


class SiteInline(admin.StackedInline):
    """Stacked: a site's address, country and activities (its scope on a multi-site
    certificate) do not fit a table row."""

    model = Site
    extra = 0
    fields = (
        ("name", "is_central", "personnel"),
        ("country", "province", "city"),
        ("address", "postcode"),
        "activities",
    )


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
        "certsearch_consent",
    )
    list_filter = ("country", "city", "restricted_listing", "certsearch_consent")
    search_fields = ("legal_name", "english_name", "registration_id", "city")
    inlines = [SiteInline, ContactInline, PenaltyInline]
    actions = ["export_xlsx", "export_csv"]

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept for the current and the previous cycle

    def _export(self, queryset, fmt):
        """The selected clients in the import's columns (clients/imports/client_export.py):
        the file imports back unchanged."""
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
    """Scheme Name and "within the accreditation" feed IAF CertSearch and the certificate's
    accreditation mark: set them before the first upload (README, IAF CertSearch)."""

    list_display = (
        "__str__",
        "title",
        "certificate_code",
        "scheme_name",
        "accredited",
        "requires_soa",
        "is_active",
    )
    list_filter = ("accredited", "requires_soa", "is_active")
    search_fields = ("code", "title", "scheme_name")
    fieldsets = (
        (None, {"fields": ("code", "edition", "title", "certificate_code", "is_active")}),
        (
            _("Accreditation and IAF CertSearch"),
            {"fields": ("accredited", "scheme_name", "requires_soa")},
        ),
    )
    inlines = [RequiredDocumentInline]


@admin.register(RequiredDocument)
class RequiredDocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "title_zh", "standard", "position")
    list_filter = ("standard",)
    search_fields = ("title", "title_zh")

    def has_module_permission(self, request):
        return False  # edited from the standard's page
