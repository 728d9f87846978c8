"""Staff workspace for certifications, decisions and certificates.

State changes only through the transition buttons (core/admin_transitions.py), which call
the services in certificates/services.py.
"""

import datetime
import io

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from audits import access
from audits.admin_access import NeedToKnowAdminMixin
from audits.models import Audit
from clients.models import Client
from core.admin_transitions import (
    HistoryInline,
    OptionalReasonForm,
    ReasonForm,
    TransitionAction,
    TransitionAdminMixin,
    TransitionForm,
)
from core.dates import local_today, not_after_today
from infra.queueing import next_sweep_at, publish

from . import services as svc
from .certsearch import (
    MANAGE_PERMISSION,
    CertSearchError,
    certsearch_download,
    certsearch_record_upload,
)
from .documents import (
    certificate_pdf_file,
    certificate_pdf_name,
    certificate_pdf_pending,
    certificate_store_pdf,
)
from .models import Certificate, Certification, CertSearchUpload, Decision, ScopeExtension


def _auditors():
    """People with an auditor profile (the team rules refuse anyone else)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, auditor_profile__isnull=False)
        .order_by("username")
    )


class StagePlanForm(TransitionForm):
    planned_start = forms.DateField(
        label=_("Planned start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_end = forms.DateField(
        label=_("Planned end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    team_leader = forms.ModelChoiceField(label=_("Team leader"), queryset=_auditors())
    members = forms.ModelMultipleChoiceField(
        label=_("Team members"), queryset=_auditors(), required=False
    )
    technical_experts = forms.ModelMultipleChoiceField(
        label=_("Technical experts"), queryset=_auditors(), required=False
    )
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required for a repeated stage 1, or a stage 2 long after stage 1."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team_leader"].queryset = _auditors()
        self.fields["members"].queryset = _auditors()
        self.fields["technical_experts"].queryset = _auditors()

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end is before the planned start."))
        return data


class ScopeForm(ReasonForm):
    scope = forms.CharField(label=_("New scope"), widget=forms.Textarea(attrs={"rows": 4}))


def _plan(service):
    def run(obj, d, user, on):
        return service(
            certification=obj,
            planned_start=d["planned_start"],
            planned_end=d["planned_end"],
            team_leader=d["team_leader"],
            members=d["members"],
            technical_experts=d.get("technical_experts") or (),
            justification=d["justification"],
            by=user,
            on=on,
        )

    return run


def _simple(service):
    return lambda obj, d, user, on: service(certification=obj, by=user, on=on)


def _reasoned(service):
    return lambda obj, d, user, on: service(certification=obj, reason=d["reason"], by=user, on=on)


class SanctionForm(ReasonForm):
    """Suspension and withdrawal: the reason, and whether the client asked for it (then it is
    not for its own failings and does not bar a new application, CNCA-QMS-01:2025)."""

    at_client_request = forms.BooleanField(
        label=_("At the client's request"),
        required=False,
        help_text=_("Suspended or withdrawn because the client asked for it."),
    )


def _sanction(service):
    return lambda obj, d, user, on: service(
        certification=obj,
        reason=d["reason"],
        by=user,
        on=on,
        at_client_request=d["at_client_request"],
    )


def _scoped(service):
    return lambda obj, d, user, on: service(
        certification=obj, scope=d["scope"], reason=d["reason"], by=user, on=on
    )


class SurveillanceDueFilter(admin.SimpleListFilter):
    title = _("due dates")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("surveillance_overdue", _("Surveillance overdue")),
            ("surveillance_90", _("Surveillance due within 90 days")),
            ("expiring_180", _("Expiring within 180 days")),
            ("past_expiry", _("Past expiry, not yet expired")),
            ("suspension_deadline", _("Suspension deadline passed")),
        ]

    def queryset(self, request, queryset):
        today = local_today()
        value = self.value()
        if value == "surveillance_overdue":
            return queryset.surveillance_overdue(on=today)
        if value == "surveillance_90":
            return queryset.active().filter(
                next_surveillance_due__gte=today,
                next_surveillance_due__lte=today + datetime.timedelta(days=90),
            )
        if value == "expiring_180":
            return queryset.expiring_within(days=180, on=today)
        if value == "past_expiry":
            return queryset.past_expiry(on=today)
        if value == "suspension_deadline":
            return queryset.suspension_deadline_passed(on=today)
        return queryset


class ClientCityFilter(admin.SimpleListFilter):
    """The clients' cities, from the clients the user may see (Django's filter on
    ``client__city`` would list every client's city: an auditor would learn where the body's
    other clients are)."""

    title = _("city")
    parameter_name = "client__city"

    def lookups(self, request, model_admin):
        clients = access.visible(Client.objects.exclude(city=""), request.user)
        cities = clients.order_by("city").values_list("city", flat=True).distinct()
        return [(city, city) for city in cities]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(client__city=self.value())
        return queryset


class AuditInline(admin.TabularInline):
    """The certification's audits, the programme included: year of the cycle, deadline,
    whether the dates are confirmed, the team and the audit time."""

    model = Audit
    verbose_name_plural = _("audits and programme")
    fields = (
        "kind",
        "cycle",
        "programme_year",
        "state",
        "planned_start",
        "planned_end",
        "dates_confirmed",
        "due_by",
        "late",
        "team",
        "audit_time",
        "recommendation",
        "decision",
    )
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        # An auditor sees the certification's audits they are on (audits/access.py).
        return (
            access.visible(super().get_queryset(request), request.user)
            .select_related("team_leader", "decision")
            .prefetch_related("members")
            .order_by("cycle", "planned_start", "pk")
        )

    @admin.display(description=_("late"), boolean=True)
    def late(self, audit):
        return audit.is_late

    @admin.display(description=_("team"))
    def team(self, audit):
        if audit.team_leader is None:
            return _("no team yet")
        names = [str(audit.team_leader)] + [
            str(m) for m in audit.members.all() if m.pk != audit.team_leader_id
        ]
        return ", ".join(names)

    @admin.display(description=_("audit time"))
    def audit_time(self, audit):
        if audit.audit_days is None:
            return "-"
        return _("%(days)s d (on site ≥ %(onsite)s)") % {
            "days": audit.audit_days,
            "onsite": audit.onsite_days if audit.onsite_days is not None else "-",
        }


def _pdf_download(certificate):
    """A link to the staff PDF download (never MEDIA_URL: certificate files are not public)."""
    if certificate.pk is None:  # the blank row of an inline formset
        return "-"
    url = reverse("admin:certificates_certificate_pdf", args=[certificate.pk])
    if certificate_pdf_pending(certificate):
        # Queued after the decision; should the queue have lost it, the sweep renders it.
        return format_html('<a href="{}">{}</a> ({})', url, _("PDF"), _pdf_pending_note())
    if certificate.pdf:
        return format_html('<a href="{}">{}</a>', url, _("PDF"))
    return format_html('<a href="{}">{}</a> ({})', url, _("PDF"), _("not generated yet"))


def _pdf_pending_note():
    """When a pending PDF is rendered at the latest: the next run of the sweep
    (infra/queueing.py), as staff read it ("14:30", with the date if not today)."""
    at = next_sweep_at()
    if at is None:  # the sweep is disabled in the admin
        return _("PDF pending: rendered by the worker or when downloaded")
    local = timezone.localtime(at)
    when = date_format(local, "H:i" if local.date() == timezone.localdate() else "Y-m-d H:i")
    return _("PDF pending: the sweep at %(time)s renders it if the worker has not") % {"time": when}


class CertificateInline(admin.TabularInline):
    model = Certificate
    fields = (
        "printed_number",
        "status",
        "effective_date",
        "expiry_date",
        "gap_from",
        "gap_to",
        "scope",
        "pdf_download",
    )
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False

    @admin.display(description=_("certificate number"))
    def printed_number(self, certificate):
        return certificate.full_number

    @admin.display(description=_("document"))
    def pdf_download(self, certificate):
        return _pdf_download(certificate)


class DecisionInline(admin.TabularInline):
    model = Decision
    fields = ("outcome", "decided_on", "decided_by", "reason")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


class ScopeExtensionInline(admin.TabularInline):
    """The certification's scope extension applications; each is reviewed, audited and
    decided on its own page ("Add scope extension" there)."""

    model = ScopeExtension
    fields = ("received_on", "services", "state", "audit_needed", "decided_on", "decided_by")
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Certification)
class CertificationAdmin(NeedToKnowAdminMixin, TransitionAdminMixin, admin.ModelAdmin):
    list_display = (
        "client",
        "standard",
        "state_today",
        "cycle",
        "certificate_number",
        "expiry_date",
        "next_surveillance_due",
        "city",
    )
    list_filter = ("state", "standard", SurveillanceDueFilter, ClientCityFilter)
    search_fields = (
        "client__legal_name",
        "client__english_name",
        "client__registration_id",
        "certificate_number",
    )
    list_select_related = ("client", "standard")
    readonly_fields = (
        "state_today",
        "client",
        "standard",
        "application",
        "scope",
        "cycle",
        "certificate_number",
        "original_certification_date",
        "cycle_start",
        "expiry_date",
        "next_surveillance_due",
        "surveillances_done",
        "suspended_on",
        "suspension_deadline",
        "expired_on",
        "revision",
    )
    inlines = [
        AuditInline,
        CertificateInline,
        DecisionInline,
        ScopeExtensionInline,
        HistoryInline,
    ]
    actions = [
        "export_certsearch",
        "export_certificates_xlsx",
        "export_certificates_csv",
    ]
    transition_actions = {
        "start_review": TransitionAction(TransitionForm, _simple(svc.certification_start_review)),
        "reject": TransitionAction(ReasonForm, _reasoned(svc.certification_reject)),
        "accept": TransitionAction(
            OptionalReasonForm,
            lambda obj, d, user, on: svc.certification_accept(
                certification=obj, by=user, on=on, reason=d["reason"]
            ),
        ),
        "begin_stage1": TransitionAction(StagePlanForm, _plan(svc.certification_plan_stage1)),
        "repeat_stage1": TransitionAction(StagePlanForm, _plan(svc.certification_plan_stage1)),
        "begin_stage2": TransitionAction(StagePlanForm, _plan(svc.certification_plan_stage2)),
        "new_stage2": TransitionAction(StagePlanForm, _plan(svc.certification_plan_stage2)),
        "submit_for_decision": TransitionAction(
            TransitionForm, _simple(svc.certification_submit_for_decision)
        ),
        "grant": TransitionAction(
            OptionalReasonForm,
            lambda obj, d, user, on: svc.certification_grant(
                certification=obj, by=user, on=on, reason=d["reason"]
            ),
        ),
        "refuse": TransitionAction(ReasonForm, _reasoned(svc.certification_refuse)),
        "recertify": TransitionAction(
            OptionalReasonForm,
            lambda obj, d, user, on: svc.certification_recertify(
                certification=obj, by=user, on=on, reason=d["reason"]
            ),
        ),
        "restore_after_expiry": TransitionAction(
            OptionalReasonForm,
            lambda obj, d, user, on: svc.certification_restore_after_expiry(
                certification=obj, by=user, on=on, reason=d["reason"]
            ),
        ),
        "expire": TransitionAction(TransitionForm, _simple(svc.certification_expire)),
        "suspend": TransitionAction(SanctionForm, _sanction(svc.certification_suspend)),
        "lift_suspension": TransitionAction(
            ReasonForm, _reasoned(svc.certification_lift_suspension)
        ),
        "withdraw": TransitionAction(SanctionForm, _sanction(svc.certification_withdraw)),
        "reduce_scope": TransitionAction(ScopeForm, _scoped(svc.certification_reduce_scope)),
        # extend_scope: only as the decision on a scope extension (ScopeExtensionAdmin).
    }

    def has_add_permission(self, request):
        return False  # certifications open from applications

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept (ISO/IEC 17021-1 8.4)

    def transition_view(self, request, object_id, name):
        newest = newest_audit = None
        if request.method == "POST" and str(object_id).isdigit():
            versions = Certificate.objects.filter(certification_id=int(object_id))
            newest = versions.order_by("-pk").values_list("pk", flat=True).first() or 0
            planned = Audit.objects.filter(certification_id=int(object_id))
            newest_audit = planned.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = super().transition_view(request, object_id, name)
        if newest is not None and response.status_code == 302:
            self._tell_pdf_pending(request, versions.filter(pk__gt=newest))
            self._tell_audit_time_short(request, planned.filter(pk__gt=newest_audit))
        return response

    def _tell_audit_time_short(self, request, audits):
        """After planning a stage: warn (never refuse) when the team x the planned days fall
        short of the stage's calculated audit time."""
        from audits.services import audit_time_shortfall

        for audit in audits:
            warning = audit_time_shortfall(audit)
            if warning:
                self.message_user(request, f"{audit}: {warning}", messages.WARNING)

    def _tell_pdf_pending(self, request, issued):
        """After a decision that issued a version: its PDF is queued after commit, not there
        yet; say when it is there at the latest (should the task queue be down, the sweep
        renders it)."""
        for certificate in issued:
            if certificate_pdf_pending(certificate):
                self.message_user(
                    request,
                    format_html("{}: {}.", certificate.full_number, _pdf_pending_note()),
                    messages.INFO,
                )

    def transition_initial(self, obj, name):
        if name == "reduce_scope":
            return {"scope": obj.scope}
        return {}

    @admin.display(description=_("city"), ordering="client__city")
    def city(self, obj):
        return obj.client.city

    @admin.display(description=_("state"), ordering="state")
    def state_today(self, obj):
        """The state the dates give today: past its expiry date a certification is expired,
        even before the nightly task records it (shared/domain.md, dates rule, not jobs)."""
        if obj.past_expiry_on(local_today()):
            return _("Expired: valid until %(day)s (recorded tonight)") % {
                "day": obj.expiry_date.isoformat()
            }
        return obj.get_state_display()

    def has_certsearch_permission(self, request):
        return request.user.has_perm("certificates.manage_certification")

    @admin.action(description=_("Export to IAF CertSearch (.xlsx)"), permissions=["certsearch"])
    def export_certsearch(self, request, queryset):
        """The selected certifications ("select all" for every one) in the IAF CertSearch
        template: only issued certificates of consenting clients (certificates/certsearch.py)."""
        try:
            download = certsearch_download(on=local_today(), certifications=queryset)
        except CertSearchError as err:
            self.message_user(request, " ".join(err.messages), messages.ERROR)
            return None
        if download is None:
            self.message_user(
                request,
                _(
                    "Nothing to export: none of the selected certifications has an issued "
                    "certificate of a client that consented to the IAF CertSearch listing."
                ),
                messages.WARNING,
            )
            return None
        name, content_type, fh = download
        return FileResponse(fh, as_attachment=True, filename=name, content_type=content_type)

    def has_export_certificates_permission(self, request):
        return request.user.is_staff and self.has_view_permission(request)

    def _export_certificates(self, request, queryset, fmt):
        """The selected certifications' certificates in the certificate import's columns
        (clients/imports/certificate_export.py): the file imports back unchanged."""
        from clients.imports.certificate_export import export_certificates

        buffer = io.BytesIO()
        count = export_certificates(
            buffer, format=fmt, language=get_language() or "zh", queryset=queryset
        )
        if not count:
            self.message_user(
                request,
                _(
                    "Nothing to export: none of the selected certifications has a certificate "
                    "(Active, Suspended, Withdrawn or Expired)."
                ),
                messages.WARNING,
            )
            return None
        content_type = {
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "csv": "text/csv; charset=utf-8",
        }[fmt]
        response = HttpResponse(buffer.getvalue(), content_type=content_type)
        stamp = local_today().isoformat()
        response["Content-Disposition"] = f'attachment; filename="certificates-{stamp}.{fmt}"'
        return response

    @admin.action(
        description=_("Export certificates to Excel (.xlsx), importable again"),
        permissions=["export_certificates"],
    )
    def export_certificates_xlsx(self, request, queryset):
        return self._export_certificates(request, queryset, "xlsx")

    @admin.action(
        description=_("Export certificates to CSV (UTF-8 with BOM), importable again"),
        permissions=["export_certificates"],
    )
    def export_certificates_csv(self, request, queryset):
        return self._export_certificates(request, queryset, "csv")


@admin.register(Decision)
class DecisionAdmin(NeedToKnowAdminMixin, admin.ModelAdmin):
    list_display = ("certification", "outcome", "decided_on", "decided_by")
    list_filter = ("outcome",)
    search_fields = ("certification__client__legal_name", "certification__certificate_number")
    list_select_related = ("certification__client", "certification__standard", "decided_by")
    date_hierarchy = "decided_on"

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
        return FileResponse(
            certificate_pdf_file(certificate),
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
        from .tasks import generate_certificate_pdf

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
        changed = sum(certificate_store_pdf(certificate) for certificate in queryset)
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
        return _pdf_download(certificate)


class CertSearchUploadForm(forms.ModelForm):
    uploaded = forms.BooleanField(
        label=_("Uploaded to IAF CertSearch"),
        required=False,
        help_text=_("Tick once this month's files are uploaded: the reminders stop."),
    )

    class Meta:
        model = CertSearchUpload
        fields = ()


@admin.register(CertSearchUpload)
class CertSearchUploadAdmin(admin.ModelAdmin):
    """The monthly IAF CertSearch duty: staff see each month's export and record the upload
    (who, when); until then the daily reminders chase it. Rows are written by the export and
    the reminder scan only, and kept."""

    form = CertSearchUploadForm
    list_display = ("month_label", "exported_at", "file_count", "uploaded_at", "uploaded_by")
    list_filter = (("uploaded_at", admin.EmptyFieldListFilter),)
    readonly_fields = (
        "month_label",
        "exported_at",
        "folder",
        "file_list",
        "uploaded_at",
        "uploaded_by",
    )
    actions = ["record_upload"]

    def get_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.uploaded_at is None and self.has_change_permission(request):
            fields.append("uploaded")
        return fields

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


# -- scope extension ----------------------------------------------------------------------------
class ScopeExtensionForm(forms.ModelForm):
    """A new extension application: on an active certification, sites of its client."""

    class Meta:
        model = ScopeExtension
        fields = ("certification", "received_on", "services", "scope", "sites")
        widgets = {"received_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "received_on" in self.fields:
            self.fields["received_on"].validators.append(not_after_today)

    def clean(self):
        data = super().clean()
        cert = data.get("certification")
        if cert is not None:
            for problem in svc.scope_extension_apply_problems(
                certification=cert,
                received_on=data.get("received_on"),
                services=data.get("services"),
                scope=data.get("scope"),
                sites=data.get("sites") or (),
            ):
                self.add_error(None, problem)
        return data


class ExtensionReviewForm(TransitionForm):
    audit_needed = forms.TypedChoiceField(
        label=_("Special audit"),
        choices=[
            ("", "---------"),
            ("yes", _("A special audit is needed")),
            ("no", _("No audit is needed (record why)")),
        ],
        coerce=lambda value: value == "yes",
        empty_value=None,
    )
    justification = forms.CharField(
        label=_("Why no audit is needed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class ExtensionAuditForm(StagePlanForm):
    justification = None  # the audit's purpose is the extension


def _extension_plan_audit(obj, d, user, on):
    return svc.scope_extension_plan_audit(
        extension=obj,
        planned_start=d["planned_start"],
        planned_end=d["planned_end"],
        team_leader=d["team_leader"],
        members=d["members"],
        technical_experts=d.get("technical_experts") or (),
        by=user,
        on=on,
    )


@admin.register(ScopeExtension)
class ScopeExtensionAdmin(NeedToKnowAdminMixin, TransitionAdminMixin, admin.ModelAdmin):
    """Extension applications: recorded here, then reviewed, audited and decided with the
    buttons (certificates/scope_extensions.py)."""

    form = ScopeExtensionForm
    list_display = ("certification", "received_on", "services", "state", "decided_on")
    list_filter = ("state",)
    search_fields = ("certification__client__legal_name", "certification__certificate_number")
    list_select_related = ("certification__client", "certification__standard")
    raw_id_fields = ("certification",)
    filter_horizontal = ("sites",)
    inlines = [HistoryInline]
    transition_actions = {
        "review": TransitionAction(
            ExtensionReviewForm,
            lambda obj, d, user, on: svc.scope_extension_review(
                extension=obj,
                audit_needed=d["audit_needed"],
                justification=d["justification"],
                by=user,
                on=on,
            ),
        ),
        "plan_audit": TransitionAction(ExtensionAuditForm, _extension_plan_audit),
        "grant": TransitionAction(
            ReasonForm,
            lambda obj, d, user, on: svc.scope_extension_grant(
                extension=obj, reason=d["reason"], by=user, on=on
            ),
        ),
        "refuse": TransitionAction(
            ReasonForm,
            lambda obj, d, user, on: svc.scope_extension_refuse(
                extension=obj, reason=d["reason"], by=user, on=on
            ),
        ),
    }

    def get_readonly_fields(self, request, obj=None):
        readonly = (
            "audit_needed",
            "no_audit_justification",
            "reviewed_on",
            "reviewed_by",
            "audit",
            "decided_on",
            "decided_by",
            "decision",
        )
        if obj is not None:  # an application as received: changed only by its transitions
            readonly = ("certification", "received_on", "services", "scope", "sites", *readonly)
        return (*super().get_readonly_fields(request, obj), *readonly)

    def preview_inputs(self, obj) -> dict:
        return {**super().preview_inputs(obj), "audit_needed": True}

    def has_add_permission(self, request):
        # Recording an application is the application review's work (the service checks it).
        return super().has_add_permission(request) and request.user.has_perm(
            "certificates.review_application"
        )

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept (ISO/IEC 17021-1 8.4)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing to change by hand: the buttons take the steps
        d = form.cleaned_data
        created = svc.scope_extension_apply(
            certification=d["certification"],
            received_on=d["received_on"],
            services=d["services"],
            scope=d["scope"],
            sites=d.get("sites") or (),
            by=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
        # on add, the service has set the sites

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        cert = initial.get("certification")
        if cert and str(cert).isdigit():
            found = Certification.objects.filter(pk=int(cert)).first()
            if found is not None:
                initial.setdefault("scope", found.scope)
        return initial
