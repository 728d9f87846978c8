"""Reminders in the admin: staff see open reminders and escalations, acknowledge them, and
see who did. Everything else is read-only: rows are written by the scans only."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.names import person_name
from reminders.digests import admin_path, subject_prefetch
from reminders.models import ESCALATIONS, Reminder
from reminders.services import reminders_acknowledge


class SentFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", _("Sent")), ("no", _("Not sent"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        return queryset


class AcknowledgedFilter(admin.SimpleListFilter):
    title = _("acknowledged")
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return [("yes", _("Acknowledged")), ("no", _("Open"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(acknowledged_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(acknowledged_at__isnull=True)
        return queryset


class EscalationFilter(admin.SimpleListFilter):
    title = _("escalation")
    parameter_name = "escalation"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Escalations (deadline passed, decision asked for)")),
            ("no", _("Reminders ahead of a deadline")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.escalations()
        if self.value() == "no":
            return queryset.exclude(kind__in=ESCALATIONS)
        return queryset


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "subject_link",
        "due_date",
        "recipient_name",
        "is_sent",
        "attempts",
        "acknowledged_by_name",
        "acknowledged_at",
    ]
    list_filter = [EscalationFilter, "kind", SentFilter, AcknowledgedFilter, "due_date"]
    list_select_related = ["recipient", "acknowledged_by", "content_type"]
    date_hierarchy = "due_date"
    search_fields = [
        "recipient__username",
        "recipient__email",
        "recipient__first_name",
        "recipient__last_name",
    ]
    actions = ["acknowledge"]
    readonly_fields = [
        "kind",
        "content_type",
        "object_id",
        "subject_link",
        "due_date",
        "recipient_name",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
        "acknowledged_by_name",
        "acknowledged_at",
    ]
    fields = readonly_fields

    # People by name, in their own order (王建华, not "建华 王" nor the user name).
    @admin.display(description=_("recipient"), ordering="recipient__last_name")
    def recipient_name(self, obj):
        return person_name(obj.recipient)

    @admin.display(description=_("acknowledged by"), ordering="acknowledged_by__last_name")
    def acknowledged_by_name(self, obj):
        return person_name(obj.acknowledged_by) or "-"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(subject_prefetch())

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept (shared/domain.md, Records)

    @admin.display(description=_("subject"))
    def subject_link(self, obj):
        label = str(obj.subject) if obj.subject is not None else f"#{obj.object_id}"
        return format_html('<a href="{}">{}</a>', admin_path(obj), label)

    @admin.display(description=_("sent"), boolean=True, ordering="sent_at")
    def is_sent(self, obj):
        return obj.sent_at is not None

    @admin.action(description=_("Acknowledge"), permissions=["change"])
    def acknowledge(self, request, queryset):
        count = reminders_acknowledge(reminders=queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d reminder acknowledged.", "%(count)d reminders acknowledged.", count)
            % {"count": count},
            messages.SUCCESS,
        )
