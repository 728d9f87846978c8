"""Applications and their intake conditions (shared/domain.md): what a client applies for, the
checks before acceptance and the documents received against the standard's checklist."""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.dates import add_months
from core.policy import policy

from .catalogue import RequiredDocument, Standard
from .organisations import MSG_REGISTRATION_INVALID, Client, Site

MSG_INTERNAL_AUDIT_BEFORE_OPERATION = _(
    "The internal audit of %(day)s is before the management system started operating "
    "(%(since)s): it must fall within the operating period."
)
MSG_REVIEW_BEFORE_OPERATION = _(
    "The management review of %(day)s is before the management system started operating "
    "(%(since)s): it must fall within the operating period."
)
MSG_PENALTY = _(
    "An administrative penalty of %(day)s by %(authority)s falls within the operation of the "
    "management system or the year before it (from %(start)s): the application cannot be "
    "accepted."
)


class Application(models.Model):
    """An application for certification and its review (ISO/IEC 17021-1 9.1.1, 9.1.2).

    Intake conditions (shared/domain.md): legal registration (both check characters of a
    credit code), system operating at least MIN_OPERATING_MONTHS before application, one
    internal audit and one management review done within the operating period, no
    administrative penalty declared and none recorded (Penalty) during operation or in the year
    before it; plus the standard's document checklist. The CNCA rule on recent suspensions and
    withdrawals is checked on acceptance (certificates.rules.no_recent_suspension_or_withdrawal).
    """

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="applications", verbose_name=_("client")
    )
    standards = models.ManyToManyField(
        Standard, related_name="applications", verbose_name=_("standards")
    )
    received_on = models.DateField(_("received on"))
    scope = models.TextField(_("scope"))
    sites = models.ManyToManyField(Site, blank=True, verbose_name=_("sites in scope"))
    effective_personnel = models.PositiveIntegerField(_("effective personnel"))
    language = models.CharField(_("audit language"), max_length=20, default="zh-hans")
    system_operating_since = models.DateField(
        _("management system operating since"), null=True, blank=True
    )
    internal_audit_on = models.DateField(_("internal audit completed on"), null=True, blank=True)
    management_review_on = models.DateField(
        _("management review completed on"), null=True, blank=True
    )
    no_penalty_declared = models.BooleanField(
        _("declares no administrative penalty"),
        default=False,
        help_text=_("No administrative penalty during operation and in the year before."),
    )
    legal_registration_checked = models.BooleanField(
        _("legal registration checked"),
        default=False,
        help_text=_("Staff saw the business licence or foreign registration certificate."),
    )
    impartiality_threats = models.TextField(_("threats to impartiality"), blank=True)
    notes = models.TextField(_("internal notes"), blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-received_on", "-pk"]

    def __str__(self):
        return f"{self.client} / {self.received_on}"

    # -- Intake --------------------------------------------------------------------------------
    def intake_problems(self, *, standard: Standard) -> list[str]:
        """Every reason this application cannot be accepted for ``standard``, in plain words.

        Empty means every intake condition holds and every required document was received.
        """
        problems = []
        # The same words as the client form (e.g. which check character failed), for a code
        # saved without it (imported, or before a check was added).
        for problem in self.client.registration_problems():
            problems.append(
                str(
                    MSG_REGISTRATION_INVALID
                    % {"id": self.client.registration_id, "problem": problem}
                )
            )
        if not self.legal_registration_checked:
            problems.append(str(_("The legal registration (business licence) is not checked.")))
        months = policy("MIN_OPERATING_MONTHS")
        if self.system_operating_since is None:
            problems.append(str(_("The date the management system started is not recorded.")))
        elif add_months(self.system_operating_since, months) > self.received_on:
            problems.append(
                str(
                    _(
                        "The management system has operated less than %(months)d months "
                        "before the application (since %(since)s)."
                    )
                    % {"months": months, "since": self.system_operating_since.isoformat()}
                )
            )
        # Both within the period the system has been operating: on or after it started, not
        # after the application (shared/domain.md, Intake 3).
        since = self.system_operating_since
        if self.internal_audit_on is None or self.internal_audit_on > self.received_on:
            problems.append(str(_("No internal audit completed before the application.")))
        elif since is not None and self.internal_audit_on < since:
            problems.append(
                str(
                    MSG_INTERNAL_AUDIT_BEFORE_OPERATION
                    % {"day": self.internal_audit_on.isoformat(), "since": since.isoformat()}
                )
            )
        if self.management_review_on is None or self.management_review_on > self.received_on:
            problems.append(str(_("No management review completed before the application.")))
        elif since is not None and self.management_review_on < since:
            problems.append(
                str(
                    MSG_REVIEW_BEFORE_OPERATION
                    % {"day": self.management_review_on.isoformat(), "since": since.isoformat()}
                )
            )
        if not self.no_penalty_declared:
            problems.append(str(_("The declaration of no administrative penalty is missing.")))
        problems += self.penalty_problems()
        for title in self.missing_documents(standard=standard):
            problems.append(str(_("Missing document: %(title)s") % {"title": title}))
        return problems

    def penalty_window_start(self):
        """The first day on which a recorded penalty bars acceptance: a year before the system
        started operating (a year before the application when that date is not recorded)."""
        since = self.system_operating_since or self.received_on
        try:
            return add_months(since, -12)
        except (OverflowError, ValueError):
            # A date typed as year 1 (the forms refuse it now; an old row may hold it): no
            # earlier day exists, so every recorded penalty falls in the window.
            return datetime.date.min

    def penalty_problems(self) -> list[str]:
        """The client's recorded administrative penalties during the operation of the system or
        in the year before it (shared/domain.md, Intake 4): each bars acceptance, whatever the
        client declared. A penalty after the application counts too (still during operation).

        Reads ``client.penalties.all()`` (a client has few), so a list that prefetches
        ``client__penalties`` asks no query per row."""
        start = self.penalty_window_start()
        penalties = sorted(
            (p for p in self.client.penalties.all() if p.decided_on >= start),
            key=lambda p: (p.decided_on, p.pk),
        )
        return [
            str(
                MSG_PENALTY
                % {
                    "day": p.decided_on.isoformat(),
                    "authority": p.authority,
                    "start": start.isoformat(),
                }
            )
            for p in penalties
        ]

    def missing_documents(self, *, standard: Standard) -> list[str]:
        """Titles of the standard's required documents not yet received."""
        received = {d.required_document_id for d in self.documents.all() if d.received_on}
        return [
            d.localized_title for d in standard.required_documents.all() if d.pk not in received
        ]


class ApplicationDocument(models.Model):
    """A document the client handed in for one item of the checklist."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("application"),
    )
    required_document = models.ForeignKey(
        RequiredDocument, on_delete=models.PROTECT, verbose_name=_("required document")
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="applications/%Y/%m/", blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "required_document"], name="one_document_per_item"
            )
        ]

    def __str__(self):
        return str(self.required_document)
