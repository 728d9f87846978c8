"""Staff workspace for certifications: the list with its due-date filters, the page with the
audits, certificate versions, decisions and history, the transition buttons and the exports.

State changes only through the transition buttons (core/admin_transitions.py), which call
the services (certificates/services/).
"""

import datetime
import io

from django.contrib import admin, messages
from django.db.models import Q
from django.http import FileResponse, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audits import access
from audits.audit_time.display import audit_time_text
from audits.models import Audit, AuditKind
from certificates import services as svc
from certificates.actions import CERTIFICATION_ACTIONS, before_action, notices_after
from certificates.certsearch import CertSearchError, certsearch_download
from certificates.imports.certificate_export import export_certificates
from certificates.models import Certificate, Certification, Decision, ScopeExtension
from certificates.selectors.search import number_keys
from clients.models import Client
from clients.selectors.search import matching_clients
from core.admin_transitions import HistoryInline, TransitionAdminMixin
from core.dates import local_today
from core.names import person_name
from core.need_to_know import NeedToKnowAdminMixin
from core.notes import note_text
from infra.distinct import distinct_values

from .certificates import pdf_download_link

# The admin's search lists the certifications of at most this many matches (clients.selectors.
# search caps the clients it finds: a person refines a text that matches more).
MAX_FOUND = 5000


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
        everyone = Client.objects.exclude(city="")
        clients = access.visible(everyone, request.user)
        if clients is everyone:
            # The office sees every client: a loose index scan of client_city, one probe per
            # city (a DISTINCT read all 1.35 M clients on every page view: bench/workspace.py).
            cities = distinct_values(Client, "city")
        else:
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
        names = [person_name(audit.team_leader)] + [
            person_name(m) for m in audit.members.all() if m.pk != audit.team_leader_id
        ]
        return ", ".join(names)

    @admin.display(description=_("audit time"))
    def audit_time(self, audit):
        if audit.audit_days is None:
            return "-"
        return audit_time_text(
            audit.audit_days, audit.onsite_days, stage1=audit.kind == AuditKind.STAGE1
        )


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
        return pdf_download_link(certificate)


class DecisionInline(admin.TabularInline):
    model = Decision
    fields = ("outcome", "decided_on", "decider", "why")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    @admin.display(description=_("decided by"))
    def decider(self, decision):
        return person_name(decision.decided_by) or _("the system")

    @admin.display(description=_("reason"))
    def why(self, decision):
        # A note the system wrote, in the reader's language; what a person typed, as typed.
        return note_text(decision.reason) or "-"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("decided_by")


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
    # "(N total)" beside a search or filter costs a COUNT(*) over every certification.
    show_full_result_count = False
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

    def get_readonly_fields(self, request, obj=None):
        # The SoA version only for a standard whose certificates give it (ISO/IEC 27001).
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and not obj.standard.requires_soa:
            fields = (*fields, "soa_version")
        return fields

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
    # The certification's actions (forms and services), shared with the workspace.
    transition_actions = CERTIFICATION_ACTIONS

    def has_add_permission(self, request):
        return False  # certifications open from applications

    def get_search_results(self, request, queryset, search_term):
        """What the workspace's search box finds, through indexes: a certificate number as
        tolerantly as the public lookup (the versions' ``number_key`` index, then the
        certification's own number) and the clients the text means (credit code, city, part of
        a name: clients.selectors.search, at most its MAX_MATCHING clients). Django's
        ``icontains`` on four columns scanned a join of every certification: 3.4 s for a
        number, 1.7 s for a Chinese city at 1.35 M (bench/workspace.py,
        docs/decisions/009-workspace-speed.md)."""
        text = " ".join(search_term.split())
        if not text:
            return queryset, False
        clients = [row["pk"] for row in matching_clients(Client.objects.all(), text)]
        condition = Q(client_id__in=clients)
        keys = number_keys(text)
        if keys:
            versions = Certificate.objects.filter(number_key__in=keys)
            numbered = list(versions.values_list("certification_id", flat=True)[:100])
            condition |= Q(pk__in=numbered) | Q(certificate_number__in={text, text.upper()})
        # The ids first, then the page by id: "client_id IN (1,000 ids) ORDER BY id DESC LIMIT
        # 100" was planned as a walk back through every certification (1.5 s).
        found = Certification.objects.filter(condition).order_by()
        return queryset.filter(pk__in=list(found.values_list("pk", flat=True)[:MAX_FOUND])), False

    def save_model(self, request, obj, form, change):
        # The fields edited here, the designated decision maker and the Statement of
        # Applicability version (ISO/IEC 27001): each through its service (the revision is
        # bumped, a history row written), never a save of the whole row.
        soa_version = obj.soa_version
        if change and "decision_maker" in form.changed_data:
            done = svc.certification_designate_decision_maker(
                certification=obj, decision_maker=obj.decision_maker, by=request.user
            )
            obj.revision = done.revision  # the next service sees this change as ours
        if change and "soa_version" in form.changed_data:
            svc.certification_record_soa_version(
                certification=obj, soa_version=soa_version, by=request.user
            )

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept (ISO/IEC 17021-1 8.4)

    def transition_view(self, request, object_id, name):
        before = None
        if request.method == "POST" and str(object_id).isdigit():
            before = before_action(int(object_id))
        response = super().transition_view(request, object_id, name)
        if before is not None and response.status_code == 302:
            # What to know now: a PDF still rendering, a stage short of its audit time.
            for level, text in notices_after(before):
                self.message_user(
                    request, text, messages.WARNING if level == "warning" else messages.INFO
                )
        return response

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
        (certificates/imports/certificate_export.py): the file imports back unchanged."""
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
