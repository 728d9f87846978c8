"""Staff admin for auditors: profiles with their qualifications and declarations, technical
areas, bookings (read-only: the team services write audit bookings) and unavailability.

Auditors hold only view permissions here (certificates migration 0005): they see their own
bookings and unavailability only, never another auditor's calendar token, and enter their own
leave on the auditor pages (/auditor/unavailability/).
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import TechnicalArea
from core.dates import local_today
from core.names import person_name

from ..forms import MSG_OVERLAP_RACE, UnavailabilityForm
from ..models import (
    AuditorProfile,
    Booking,
    BookingKind,
    ImpartialityDeclaration,
    Qualification,
    RelationshipDeclaration,
    Unavailability,
)
from ..selectors import qualifications_expiring

EXPIRING_DAYS = 90


# -- Technical areas ---------------------------------------------------------------------------


@admin.register(TechnicalArea)
class TechnicalAreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_zh")
    list_display_links = ("code", "name")
    search_fields = ("name", "name_zh")
    ordering = ("code",)

    def get_search_results(self, request, queryset, search_term):
        """Also find an area by its IAF code ("33")."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.isdigit():
            results |= queryset.filter(code=int(term))
        return results, may_have_duplicates


# -- Filters -----------------------------------------------------------------------------------


class QualificationExpiringFilter(admin.SimpleListFilter):
    title = _("qualification expiring")
    parameter_name = "expiring"

    def lookups(self, request, model_admin):
        return [("90", _("within %(days)d days") % {"days": EXPIRING_DAYS})]

    def queryset(self, request, queryset):
        if self.value() != "90":
            return queryset
        expiring = qualifications_expiring(today=local_today(), days=EXPIRING_DAYS)
        if queryset.model is Qualification:
            return queryset.filter(pk__in=expiring.values("pk"))
        return queryset.filter(pk__in=expiring.values("profile_id"))


# -- Auditor profiles --------------------------------------------------------------------------


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0
    fields = (
        "standard",
        "technical_area",
        "role",
        "valid_from",
        "valid_until",
        "evidence",
        "evidence_file",
    )
    autocomplete_fields = ("technical_area",)


class RelationshipInline(admin.TabularInline):
    model = RelationshipDeclaration
    extra = 0
    fields = ("client", "kind", "started_on", "ended_on", "note", "declared_on")
    autocomplete_fields = ("client",)


class ImpartialityInline(admin.TabularInline):
    model = ImpartialityDeclaration
    extra = 0
    fields = ("year", "signed_on", "statement")


def _name_and_login(user) -> str:
    """王建华 (wang): the name as its owner writes it and the user name."""
    name = person_name(user)
    login = user.get_username()
    return name if name == login else f"{name} ({login})"


def _can_edit(request, model) -> bool:
    return request.user.has_perm(f"audits.change_{model._meta.model_name}")


def _own_profile_unless_staff(request, queryset, model):
    """Staff who may change these rows see everyone's; an auditor only their own (another
    auditor's relationships name clients: ISO/IEC 17021-1 8.4)."""
    if _can_edit(request, model):
        return queryset
    return queryset.filter(profile__user_id=request.user.pk)


@admin.register(AuditorProfile)
class AuditorProfileAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "full_name",
        "home_city",
        "languages",
        "qualified_for",
        "is_active",
    )
    list_select_related = ("user",)
    list_filter = (
        "is_active",
        ("qualifications__standard", admin.RelatedFieldListFilter),
        ("qualifications__technical_area", admin.RelatedFieldListFilter),
        "qualifications__role",
        QualificationExpiringFilter,
    )
    search_fields = ("user__username", "user__first_name", "user__last_name", "home_city")
    readonly_fields = ("calendar_token",)
    inlines = [QualificationInline, RelationshipInline, ImpartialityInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("qualifications__standard", "qualifications__technical_area")
        )

    def get_inlines(self, request, obj):
        # Relationships with clients and impartiality declarations are the auditor's and the
        # office's business: another auditor sees only the qualifications.
        if obj is not None and not (
            _can_edit(request, AuditorProfile) or obj.user_id == request.user.pk
        ):
            return []  # the list's "qualified for" column says enough; evidence is personal
        return super().get_inlines(request, obj)

    def get_fields(self, request, obj=None):
        fields = ["user", "home_city", "languages", "is_active"]
        # The token opens the auditor's schedule to whoever holds it: staff who keep profiles
        # and the auditor themselves see it, other auditors (view permission) do not.
        if obj is not None and (
            _can_edit(request, AuditorProfile) or obj.user_id == request.user.pk
        ):
            fields.append("calendar_token")
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user" and field is not None:
            # The person's name first, with the user name that tells two namesakes apart.
            field.label_from_instance = _name_and_login
        return field

    @admin.display(description=_("name"), ordering="user__last_name")
    def full_name(self, obj):
        return person_name(obj.user)

    @admin.display(description=_("qualified for"))
    def qualified_for(self, obj):
        today = local_today()
        valid = sorted(
            {
                f"{q.standard} / IAF {q.technical_area.code:02d}"
                for q in obj.qualifications.all()
                if q.valid_from <= today <= q.valid_until
            }
        )
        return ", ".join(valid) or "-"


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ("profile", "standard", "technical_area", "role", "valid_from", "valid_until")
    list_select_related = ("profile__user", "standard", "technical_area")
    list_filter = ("standard", "role", "technical_area", QualificationExpiringFilter)
    search_fields = ("profile__user__username", "profile__user__last_name", "evidence")
    autocomplete_fields = ("profile", "technical_area")
    date_hierarchy = "valid_until"

    def get_queryset(self, request):
        # Evidence (diplomas, training records) is personal: an auditor sees their own.
        return _own_profile_unless_staff(request, super().get_queryset(request), self.model)


@admin.register(RelationshipDeclaration)
class RelationshipDeclarationAdmin(admin.ModelAdmin):
    list_display = ("profile", "client", "kind", "started_on", "ended_on", "declared_on")
    list_select_related = ("profile__user", "client")
    list_filter = ("kind",)
    search_fields = ("profile__user__username", "client__legal_name", "client__english_name")
    autocomplete_fields = ("profile", "client")

    def get_queryset(self, request):
        return _own_profile_unless_staff(request, super().get_queryset(request), self.model)


@admin.register(ImpartialityDeclaration)
class ImpartialityDeclarationAdmin(admin.ModelAdmin):
    list_display = ("profile", "year", "signed_on")
    list_select_related = ("profile__user",)
    list_filter = ("year",)
    search_fields = ("profile__user__username", "profile__user__last_name")
    autocomplete_fields = ("profile",)

    def get_queryset(self, request):
        return _own_profile_unless_staff(request, super().get_queryset(request), self.model)


# -- Bookings and unavailability ---------------------------------------------------------------


class AuditorNameMixin:
    """The auditor column names the person (王建华, Anna Schmidt), not their user name."""

    @admin.display(description=_("auditor"), ordering="auditor__last_name")
    def auditor_name(self, obj):
        return person_name(obj.auditor)


def _own_unless_staff(request, queryset, model):
    """Staff who may change these rows see everyone's; others (auditors) only their own."""
    if _can_edit(request, model):
        return queryset
    return queryset.filter(auditor_id=request.user.pk)


@admin.register(Booking)
class BookingAdmin(AuditorNameMixin, admin.ModelAdmin):
    """Every booking, read-only: audit bookings follow the team (team services), leave and
    other bookings are edited as Unavailability."""

    list_display = ("auditor_name", "kind", "starts_on", "ends_on", "audit", "role", "note")
    list_select_related = (
        "auditor",
        "audit__certification__client",
        "audit__certification__standard",
    )
    list_filter = ("kind",)
    search_fields = (
        "auditor__username",
        "auditor__last_name",
        "auditor__first_name",
        "note",
    )
    date_hierarchy = "starts_on"

    def get_queryset(self, request):
        return _own_unless_staff(request, super().get_queryset(request), Booking)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unavailability)
class UnavailabilityAdmin(AuditorNameMixin, admin.ModelAdmin):
    """Leave and other bookings. An overlap with another booking of the same auditor is a form
    error: checked by the form, and on PostgreSQL by the exclusion constraint
    booking_no_overlap when two people save at the same moment."""

    form = UnavailabilityForm
    list_display = ("auditor_name", "kind", "starts_on", "ends_on", "note")
    list_select_related = ("auditor",)
    list_filter = ("kind",)
    search_fields = (
        "auditor__username",
        "auditor__last_name",
        "auditor__first_name",
        "note",
    )
    date_hierarchy = "starts_on"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A plain choice of auditors (an autocomplete would need view permission on users).
        if db_field.name == "auditor":
            users = get_user_model().objects.filter(is_active=True)
            if _can_edit(request, Unavailability):
                users = users.filter(
                    Q(auditor_profile__isnull=False) | Q(groups__name="Auditor")
                ).distinct()
            else:
                users = users.filter(pk=request.user.pk)
            kwargs["queryset"] = users.order_by("last_name", "first_name", "username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        qs = super().get_queryset(request).filter(kind__in=[BookingKind.LEAVE, BookingKind.OTHER])
        return _own_unless_staff(request, qs, Unavailability)

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change, **kwargs)
        race = getattr(request, "_unavailability_race", None)
        if race is None:
            return base

        class RaceForm(base):
            def clean(self):
                data = super().clean()
                self.add_error(None, race)
                return data

        return RaceForm

    def save_model(self, request, obj, form, change):
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError as err:
            raise _OverlapRace(MSG_OVERLAP_RACE % {"person": person_name(obj.auditor)}) from err

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _OverlapRace as race:
            # Nothing was saved (the admin's transaction rolled back): show the same form
            # again with the reason as a form error instead of a traceback.
            request._unavailability_race = str(race)
            return super().changeform_view(request, object_id, form_url, extra_context)


class _OverlapRace(Exception):
    """The database refused an overlap the form had not seen (two saves at once)."""
