"""Decisions and the certificate versions they issue: read-only records; a version's PDF is
downloaded through the admin (permissions checked), never from MEDIA_URL."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from certificates.actions import pdf_pending_note
from certificates.documents import (
    certificate_pdf_file,
    certificate_pdf_name,
    certificate_pdf_pending,
    certificate_store_pdf,
    generate_certificate_pdf,
)
from certificates.models import Certificate, Decision
from certificates.pdf import CertificateMarkError
from core.names import person_name
from core.need_to_know import NeedToKnowAdminMixin
from infra.queueing import publish


def pdf_download_link(certificate):
    """A link to the staff PDF download (never MEDIA_URL: certificate files are not public)."""
    if certificate.pk is None:  # the blank row of an inline formset
        return "-"
    url = reverse("admin:certificates_certificate_pdf", args=[certificate.pk])
    if certificate_pdf_pending(certificate):
        # Queued after the decision; should the queue have lost it, the sweep renders it.
        return format_html('<a href="{}">{}</a> ({})', url, _("PDF"), pdf_pending_note())
    if certificate.pdf:
        return format_html('<a href="{}">{}</a>', url, _("PDF"))
    return format_html('<a href="{}">{}</a> ({})', url, _("PDF"), _("not generated yet"))


@admin.register(Decision)
class DecisionAdmin(NeedToKnowAdminMixin, admin.ModelAdmin):
    list_display = ("certification", "outcome", "decided_on", "decider")
    list_filter = ("outcome",)
    search_fields = ("certification__client__legal_name", "certification__certificate_number")
    list_select_related = ("certification__client", "certification__standard", "decided_by")
    date_hierarchy = "decided_on"

    @admin.display(description=_("decided by"), ordering="decided_by__last_name")
    def decider(self, obj):
        return person_name(obj.decided_by) or "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Certificate)
class CertificateAdmin(NeedToKnowAdminMixin, admin.ModelAdmin):
    list_display = (
        "printed_number",
        "certification",
        "status",
        "effective_date",
        "expiry_date",
        "pdf_download",
    )
    list_filter = ("status", "standard")
    search_fields = (
        "number",
        "certification__client__legal_name",
        "certification__client__english_name",
    )
    list_select_related = ("certification__client", "certification__standard")
    # The read-only page would link the file field to MEDIA_URL; the download goes through
    # pdf_view, which checks permissions.
    exclude = ("pdf",)
    readonly_fields = ("pdf_download",)
    actions = ["regenerate_pdf"]
    # More than this many selected: queued for the worker instead of rendered in the request.
    REGENERATE_IN_REQUEST_MAX = 20

    def get_urls(self):
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="certificates_certificate_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        """Staff download of one version's PDF; rendered and stored first if missing."""
        if not request.user.has_perm("certificates.view_certificate"):
            raise PermissionDenied
        certificate = self.visible_object_or_404(request, pk)
        try:
            document = certificate_pdf_file(certificate)
        except CertificateMarkError as error:  # a mark's file gone since the start: say which
            self.message_user(request, str(error), messages.ERROR)
            return redirect("admin:certificates_certificate_change", certificate.pk)
        return FileResponse(
            document,
            as_attachment=True,
            filename=certificate_pdf_name(certificate),
            content_type="application/pdf",
        )

    def has_regenerate_permission(self, request):
        return request.user.has_perm("certificates.manage_certification")

    @admin.action(description=_("Regenerate PDF"), permissions=["regenerate"])
    def regenerate_pdf(self, request, queryset):
        """Render the selected versions again from the current records (e.g. after a client's
        name or address was corrected). An unchanged PDF is not rewritten."""
        count = queryset.count()
        if count > self.REGENERATE_IN_REQUEST_MAX:
            # Short broker timeouts, no waiting out a broker that hangs (infra/queueing.py).
            queued = sum(
                publish(generate_certificate_pdf, pk)
                for pk in queryset.values_list("pk", flat=True).iterator()
            )
            self.message_user(
                request,
                _("Certificate PDFs queued for regeneration: %(count)d.") % {"count": queued},
            )
            if queued < count:
                self.message_user(
                    request,
                    _(
                        "%(count)d certificate PDFs could not be queued (the task queue is not "
                        "available): try again later."
                    )
                    % {"count": count - queued},
                    messages.WARNING,
                )
            return
        try:
            changed = sum(certificate_store_pdf(certificate) for certificate in queryset)
        except CertificateMarkError as error:  # a mark's file gone since the start: say which
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request,
            _("Certificate PDFs regenerated: %(count)d (%(changed)d changed).")
            % {"count": count, "changed": changed},
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("certificate number"), ordering="number")
    def printed_number(self, certificate):
        return certificate.full_number

    @admin.display(description=_("document"))
    def pdf_download(self, certificate):
        return pdf_download_link(certificate)
