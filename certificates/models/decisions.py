"""Certification decisions: who decided what, when and why (ISO/IEC 17021-1 9.5)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DecisionOutcome(models.TextChoices):
    GRANT = "grant", _("Grant")
    REFUSE = "refuse", _("Refuse")
    RECERTIFY = "recertify", _("Recertify")
    RESTORE_AFTER_EXPIRY = "restore_after_expiry", _("Restore after expiry")
    SUSPEND = "suspend", _("Suspend")
    LIFT_SUSPENSION = "lift_suspension", _("Lift suspension")
    WITHDRAW = "withdraw", _("Withdraw")
    REDUCE_SCOPE = "reduce_scope", _("Reduce scope")
    EXTEND_SCOPE = "extend_scope", _("Extend scope")


class Ending(models.TextChoices):
    """Why a certification was ended by a decision (a withdrawal in the lifecycle). Chinese
    bodies and IAF CertSearch tell them apart: withdrawn (撤销) for failing the requirements;
    cancelled (注销) at the client's request or because it ceased the certified activities."""

    WITHDRAWN = "withdrawn", _("Withdrawn: the requirements are no longer met")
    CLIENT_REQUEST = "client_request", _("Cancelled at the client's request")
    CEASED = "ceased", _("Cancelled: the client ceased the certified activities")

    @property
    def is_cancellation(self) -> bool:
        """A cancellation (注销), not a withdrawal (撤销)."""
        return self in (Ending.CLIENT_REQUEST, Ending.CEASED)


class Decision(models.Model):
    """A certification decision: who decided what, when and why (ISO/IEC 17021-1 9.5)."""

    certification = models.ForeignKey(
        "certificates.Certification",
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("certification"),
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=DecisionOutcome.choices)
    decided_on = models.DateField(_("decided on"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("decided by"),
        help_text=_("Empty when the system decided (e.g. automatic suspension)."),
    )
    reason = models.TextField(_("reason"), blank=True)
    # A suspension or withdrawal the client asked for (ISO/IEC 17021-1 9.6.5.1 c) is not one
    # for its own failings: it does not bar a new application (CNCA-QMS-01:2025, accept).
    at_client_request = models.BooleanField(
        _("at the client's request"),
        default=False,
        help_text=_("Suspended or withdrawn because the client asked for it."),
    )
    # The kind of ending, for a withdrawal only (empty for every other outcome). A cancellation
    # is always at the client's request or its ceasing: at_client_request is set with it.
    ending = models.CharField(
        _("kind of ending"),
        max_length=20,
        choices=Ending.choices,
        blank=True,
        default="",
        db_default="",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_on", "-pk"]

    def __str__(self):
        return f"{self.get_outcome_display()} {self.decided_on}"
