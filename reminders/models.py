"""Reminders: one row per (subject, kind, due date, lead time, recipient), written by the daily
scans (each app's reminders.py, run by reminders/registry.py) and mailed in a daily digest per
recipient (reminders/digests.py, reminders/sending.py).

The unique constraint is what makes the scans idempotent: running a scan twice, two scans at
once, or a worker retrying after a crash can only ever write one row, and a row is mailed once
(``sent_at`` is set in the transaction that sent it).
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    # ISO/IEC 17021-1 9.6.2: surveillance at least yearly, the first within 12 months of the
    # decision. Declared in digest order: each deadline's "coming" kind before its "passed" one.
    SURVEILLANCE_DUE = "surveillance_due", _("Surveillance due")
    SURVEILLANCE_OVERDUE = "surveillance_overdue", _("Surveillance overdue")
    # Escalation of an overdue surveillance (policy SURVEILLANCE_OVERDUE_ACTION): a proposal to
    # the decision makers to suspend, or the record that the system suspended automatically.
    SUSPENSION_PROPOSED = "suspension_proposed", _("Suspension proposed")
    SUSPENDED_AUTOMATICALLY = "suspended_automatically", _("Suspended automatically")
    # 9.6.3: recertification audit and decision before expiry (policy: plan 6 months ahead).
    RECERTIFICATION_PLANNING = "recertification_planning", _("Recertification planning due")
    CERTIFICATE_EXPIRING = "certificate_expiring", _("Certificate expiring")
    CERTIFICATE_EXPIRED = "certificate_expired", _("Certificate expired")
    # 9.6.3.2.5: restoration within 6 months of expiry, later only a new stage 2.
    RESTORATION_WINDOW_CLOSING = "restoration_window_closing", _("Restoration window closing")
    # 9.6.5: a suspension ends by restoration, or by withdrawal or scope reduction at its
    # deadline.
    SUSPENSION_DEADLINE_APPROACHING = (
        "suspension_deadline_approaching",
        _("Suspension deadline approaching"),
    )
    SUSPENSION_DEADLINE_REACHED = "suspension_deadline_reached", _("Suspension deadline reached")
    # 9.4.9, 9.5.3: a plan for every nonconformity, majors corrected and verified (policy:
    # plan in 30 days, majors verified in 90).
    FINDING_PLAN_DUE = "finding_plan_due", _("Finding plan due")
    FINDING_PLAN_OVERDUE = "finding_plan_overdue", _("Finding plan overdue")
    FINDING_CORRECTION_DUE = "finding_correction_due", _("Finding correction due")
    FINDING_CORRECTION_OVERDUE = "finding_correction_overdue", _("Finding correction overdue")
    FINDING_VERIFICATION_DUE = "finding_verification_due", _("Finding verification due")
    FINDING_VERIFICATION_OVERDUE = "finding_verification_overdue", _("Finding verification overdue")
    # 9.3.1.2 (policy): a stage 1 older than STAGE1_VALIDITY_MONTHS must be justified or
    # repeated.
    STAGE1_VALIDITY_ENDING = "stage1_validity_ending", _("Stage 1 validity ending")
    # Policy (9.5.3): majors of a stage 2 not verified within MAJOR_VERIFICATION_LIMIT_MONTHS
    # of its last day mean a new stage 2.
    MAJORS_STAGE2_LIMIT = "majors_stage2_limit", _("Open majors near the stage 2 limit")
    # 9.2.3: a team is appointed for every audit, and its members hear of it in time.
    AUDIT_WITHOUT_TEAM = "audit_without_team", _("Audit without a team")
    AUDIT_UPCOMING = "audit_upcoming", _("Upcoming audit")
    # IAF MD 28: the body uploads to IAF CertSearch at least monthly.
    CERTSEARCH_UPLOAD_DUE = "certsearch_upload_due", _("IAF CertSearch upload due")
    CERTSEARCH_UPLOAD_OVERDUE = "certsearch_upload_overdue", _("IAF CertSearch upload overdue")


# Kinds that say a deadline has passed or that the body must now decide: the admin's
# "escalations" filter.
ESCALATIONS = frozenset(
    {
        ReminderKind.SURVEILLANCE_OVERDUE,
        ReminderKind.SUSPENSION_PROPOSED,
        ReminderKind.SUSPENDED_AUTOMATICALLY,
        ReminderKind.CERTIFICATE_EXPIRED,
        ReminderKind.SUSPENSION_DEADLINE_REACHED,
        ReminderKind.FINDING_PLAN_OVERDUE,
        ReminderKind.FINDING_CORRECTION_OVERDUE,
        ReminderKind.FINDING_VERIFICATION_OVERDUE,
        ReminderKind.CERTSEARCH_UPLOAD_OVERDUE,
    }
)


class ReminderQuerySet(models.QuerySet):
    def escalations(self):
        """Deadlines passed and decisions asked for (ESCALATIONS)."""
        return self.filter(kind__in=ESCALATIONS)

    def unsent(self):
        """Not mailed yet (new, or every send so far failed)."""
        return self.filter(sent_at__isnull=True)

    def open(self):
        """Not acknowledged by anyone yet."""
        return self.filter(acknowledged_at__isnull=True)


class Reminder(models.Model):
    """A deadline someone must hear about: what (kind), about which record (subject), for
    which due date, to whom. No deadline of shared/domain.md may pass silently.

    The subject is a generic pointer (content type + id) rather than one nullable foreign key
    per kind: it is never NULL, so the unique constraint holds for every kind (NULLs are
    distinct in SQL unique constraints), and later kinds (audits, findings) need no schema
    change. Reminders are records: subjects are never hard-deleted (records are kept).
    """

    kind = models.CharField(_("kind"), max_length=40, choices=ReminderKind.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name=_("subject type")
    )
    object_id = models.PositiveBigIntegerField(_("subject id"))
    subject = GenericForeignKey("content_type", "object_id")
    due_date = models.DateField(_("due date"))
    # Days before the due date this reminder is for (90, 30, 7 for a surveillance; 0 for an
    # overdue one): part of the unique key, so each lead time is reminded of once.
    lead_days = models.PositiveSmallIntegerField(_("days before"), default=0)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("recipient"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(_("send attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-due_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind", "due_date", "lead_days", "recipient"],
                name="one_reminder_per_subject_kind_due_date_lead_recipient",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.due_date}"
