"""Auditors: competence (standard x technical area x role, with evidence and validity),
impartiality (relationships with clients, yearly declaration) and availability (bookings).

Sources: ISO/IEC 17021-1 7.1-7.2 and annex A (competence), 5.2 (impartiality: no auditing or
deciding for a client one gave consultancy to, or worked for, in the last 2 years); IAF MD 1/5.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.names import person_name


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class AuditorProfile(models.Model):
    """An auditor's profile: one per user who audits, leads, advises or decides."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="auditor_profile",
        verbose_name=_("user"),
    )
    home_city = models.CharField(_("home city"), max_length=100, blank=True)
    languages = models.CharField(
        _("languages"),
        max_length=100,
        default="zh-hans",
        help_text=_("Comma-separated language codes, e.g. zh-hans,en."),
    )
    # Private iCalendar feed (RFC 5545): whoever has the URL sees the schedule, so it is a
    # random token the auditor can revoke (a new token stops the old URL).
    calendar_token = models.CharField(
        _("calendar token"), max_length=64, unique=True, default=new_calendar_token
    )
    is_active = models.BooleanField(_("available for assignments"), default=True)

    class Meta:
        verbose_name = _("auditor profile")
        verbose_name_plural = _("auditor profiles")
        ordering = ["user__username"]

    def __str__(self):
        return person_name(self.user)

    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]


class AuditRole(models.TextChoices):
    AUDITOR = "auditor", _("Auditor")
    TEAM_LEADER = "team_leader", _("Team leader")
    TECHNICAL_EXPERT = "technical_expert", _("Technical expert")
    DECISION_MAKER = "decision_maker", _("Decision maker")


class Qualification(models.Model):
    """Competence for one standard, technical area (IAF code) and role, with its evidence and
    validity. A team leader qualification also qualifies as auditor."""

    profile = models.ForeignKey(
        AuditorProfile,
        on_delete=models.CASCADE,
        related_name="qualifications",
        verbose_name=_("auditor"),
    )
    standard = models.ForeignKey(
        "clients.Standard", on_delete=models.PROTECT, verbose_name=_("standard")
    )
    technical_area = models.ForeignKey(
        "clients.TechnicalArea", on_delete=models.PROTECT, verbose_name=_("technical area")
    )
    role = models.CharField(_("audit role"), max_length=20, choices=AuditRole.choices)
    evidence = models.TextField(
        _("evidence"), help_text=_("Training, exams, witnessed audits, registration number.")
    )
    evidence_file = models.FileField(_("evidence file"), upload_to="qualifications/%Y/", blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["profile", "standard", "technical_area", "role"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="qualification_valid_until_after_from",
                violation_error_message=_("The qualification ends before it starts."),
            )
        ]

    def __str__(self):
        return f"{self.standard} / IAF {self.technical_area.code:02d} / {self.get_role_display()}"


class RelationshipKind(models.TextChoices):
    CONSULTANCY = "consultancy", _("Consultancy")
    EMPLOYMENT = "employment", _("Employment")
    INTERNAL_AUDIT = "internal_audit", _("Internal audit")
    TRAINING = "training", _("Training")


# Relationships that bar auditing or deciding for the client for CONFLICT_OF_INTEREST_YEARS
# after they end (ISO/IEC 17021-1 5.2.5, 5.2.10); the others are shown as warnings.
BARRING_RELATIONSHIPS = {RelationshipKind.CONSULTANCY, RelationshipKind.EMPLOYMENT}


class RelationshipDeclaration(models.Model):
    """A relationship an auditor declares with a client (open-ended while ``ended_on`` is
    empty)."""

    profile = models.ForeignKey(
        AuditorProfile,
        on_delete=models.CASCADE,
        related_name="relationships",
        verbose_name=_("auditor"),
    )
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        related_name="auditor_relationships",
        verbose_name=_("client"),
    )
    kind = models.CharField(_("relationship"), max_length=20, choices=RelationshipKind.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    declared_on = models.DateField(_("declared on"))

    class Meta:
        verbose_name = _("relationship declaration")
        verbose_name_plural = _("relationship declarations")
        ordering = ["profile", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="relationship_ends_after_start",
                violation_error_message=_("The relationship ends before it starts."),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.client}"


class ImpartialityDeclaration(models.Model):
    """The yearly declaration of impartiality and confidentiality an auditor signs."""

    profile = models.ForeignKey(
        AuditorProfile,
        on_delete=models.CASCADE,
        related_name="impartiality_declarations",
        verbose_name=_("auditor"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    signed_on = models.DateField(_("signed on"))
    statement = models.TextField(_("statement"), blank=True)

    class Meta:
        verbose_name = _("impartiality declaration")
        verbose_name_plural = _("impartiality declarations")
        ordering = ["profile", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "year"], name="one_impartiality_declaration_per_year"
            )
        ]

    def __str__(self):
        return f"{self.profile} {self.year}"


class BookingKind(models.TextChoices):
    AUDIT = "audit", _("Audit")
    LEAVE = "leave", _("Leave")
    OTHER = "other", _("Other booking")


class Booking(models.Model):
    """A span of days an auditor is taken: on an audit team, on leave, or booked elsewhere.

    An auditor cannot be in two places at once: on PostgreSQL an exclusion constraint
    (``booking_no_overlap``, migration 0004) refuses overlapping bookings of the same person, so
    two staff booking the same auditor at the same moment cannot both succeed. On SQLite the
    service checks the same before writing (SQLite serialises writers).
    """

    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="bookings",
        verbose_name=_("auditor"),
    )
    kind = models.CharField(_("booking type"), max_length=10, choices=BookingKind.choices)
    audit = models.ForeignKey(
        "audits.Audit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("audit"),
    )
    role = models.CharField(_("audit role"), max_length=20, choices=AuditRole.choices, blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_on", "auditor"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="booking_ends_after_start",
                violation_error_message=_("The booking ends before it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(kind="audit", audit__isnull=False)
                | (~models.Q(kind="audit") & models.Q(audit__isnull=True)),
                name="booking_audit_only_for_audit_kind",
            ),
            models.UniqueConstraint(
                fields=["audit", "auditor"],
                condition=models.Q(audit__isnull=False),
                name="one_booking_per_auditor_and_audit",
            ),
        ]
        indexes = [models.Index(fields=["auditor", "starts_on"], name="booking_auditor_day")]

    def __str__(self):
        who = person_name(self.auditor)
        return f"{who} {self.starts_on}-{self.ends_on} {self.get_kind_display()}"


class Unavailability(Booking):
    """Leave and other bookings, as staff and auditors enter them (a view of Booking)."""

    class Meta:
        proxy = True
        verbose_name = _("unavailability")
        verbose_name_plural = _("unavailability")
