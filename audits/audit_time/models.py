"""Audit time: per-standard tables of auditor-days by effective personnel (data staff edit and
import, IAF MD 5 / ISO/IEC 20000-6 9.1.4), and the calculation kept with each application.

The arithmetic is the rest of this package (``audits.audit_time``); these models hold its
inputs and its trace. ``audits.models`` imports them (Django's app loading finds them there).
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .tables import Band, table_problems
from .trace import render_trace


class AuditTimeTable(models.Model):
    """The audit-time table of one standard: initial audit (stage 1 + stage 2) auditor-days
    by effective personnel. A table that is not the standard's own (ISO/IEC 20000-6 Table 1 and
    ISO/IEC 27006-1 are not public here) is flagged as a stand-in and labelled so everywhere.

    Beyond the last row the table "follows the progression" (IAF MD 5): each further band is
    ``beyond_band_width`` people wide, growing by ``beyond_band_growth_percent`` per band, and
    adds ``beyond_band_days``.
    """

    standard = models.OneToOneField(
        "clients.Standard",
        on_delete=models.PROTECT,
        related_name="audit_time_table",
        verbose_name=_("standard"),
    )
    source = models.CharField(_("source"), max_length=255, help_text=_("e.g. IAF MD 5:2023"))
    is_stand_in = models.BooleanField(
        _("stand-in"),
        default=False,
        help_text=_("Not the standard's own table: replace it before relying on it."),
    )
    note = models.TextField(_("note"), blank=True)
    beyond_band_width = models.PositiveIntegerField(
        _("width of the first band beyond the table"), default=2200
    )
    beyond_band_growth_percent = models.DecimalField(
        _("growth of each further band (%)"), max_digits=5, decimal_places=1, default=Decimal(25)
    )
    beyond_band_days = models.DecimalField(
        _("auditor-days added per further band"),
        max_digits=4,
        decimal_places=1,
        default=Decimal(1),
    )

    class Meta:
        verbose_name = _("audit-time table")
        verbose_name_plural = _("audit-time tables")
        ordering = ["standard__code"]

    def __str__(self):
        label = f"{self.standard} - {self.source}"
        if self.is_stand_in:
            label += " " + str(_("(STAND-IN: replace with the standard's own table)"))
        return label

    def band_problems(self) -> tuple[list[str], list[str]]:
        """(errors, warnings) of the stored bands: overlaps are errors, gaps warnings."""
        return table_problems(
            [Band(r.min_personnel, r.max_personnel, r.days) for r in self.rows.all()],
            standard=str(self.standard),
        )


class AuditTimeRow(models.Model):
    """One band of a table: from ``min_personnel`` to ``max_personnel`` people, ``days``."""

    table = models.ForeignKey(
        AuditTimeTable, on_delete=models.CASCADE, related_name="rows", verbose_name=_("table")
    )
    min_personnel = models.PositiveIntegerField(_("from (personnel)"))
    max_personnel = models.PositiveIntegerField(_("to (personnel)"))
    days = models.DecimalField(_("auditor-days"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("audit-time table row")
        verbose_name_plural = _("audit-time table rows")
        ordering = ["table", "min_personnel"]
        constraints = [
            models.UniqueConstraint(
                fields=["table", "min_personnel"], name="unique_audit_time_band"
            ),
            models.CheckConstraint(
                condition=models.Q(max_personnel__gte=models.F("min_personnel")),
                name="audit_time_band_not_empty",
                violation_error_message=_("The band ends before it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.min_personnel}-{self.max_personnel}: {self.days}"


class AuditTimeCalculationQuerySet(models.QuerySet):
    def current_for(self, application):
        """The application's current calculation (the latest), or None."""
        if application is None or application.pk is None:
            return None
        return self.filter(application=application).order_by("-calculated_on", "-pk").first()


class AuditTimeCalculation(models.Model):
    """The audit-time calculation for an application's whole cycle, as given to the client with
    the contract. ``inputs`` is what staff entered (standards, personnel, factors with their
    justifications, sites); ``trace`` the printable steps (table row, each factor, caps applied,
    rounding); the figures are the results. The latest one of an application is current; an
    application cannot be accepted without one (shared/domain.md, Intake)."""

    application = models.ForeignKey(
        "clients.Application",
        on_delete=models.CASCADE,
        related_name="audit_time_calculations",
        verbose_name=_("application"),
    )
    calculated_on = models.DateField(_("calculated on"))
    calculated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calculated by"),
    )
    inputs = models.JSONField(_("inputs"), default=dict)
    trace = models.JSONField(_("trace"), default=list)
    # Results per standard (keyed by standard id as a string): initial, stage 1, stage 2,
    # on-site minimum, surveillance and recertification days for that standard's programme.
    results = models.JSONField(_("results by standard"), default=dict)
    initial_days = models.DecimalField(
        _("initial audit (auditor-days)"), max_digits=6, decimal_places=1
    )
    stage1_days = models.DecimalField(_("stage 1"), max_digits=6, decimal_places=1)
    stage2_days = models.DecimalField(_("stage 2"), max_digits=6, decimal_places=1)
    onsite_min_days = models.DecimalField(_("on site at least"), max_digits=6, decimal_places=1)
    surveillance_days = models.DecimalField(_("each surveillance"), max_digits=6, decimal_places=1)
    recertification_days = models.DecimalField(_("recertification"), max_digits=6, decimal_places=1)
    uses_stand_in = models.BooleanField(_("uses a stand-in table"), default=False)

    objects = AuditTimeCalculationQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit-time calculation")
        verbose_name_plural = _("audit-time calculations")
        ordering = ["-calculated_on", "-pk"]
        get_latest_by = ["calculated_on", "pk"]

    def __str__(self):
        return _("%(days)s auditor-days (%(on)s)") % {
            "days": self.initial_days,
            "on": self.calculated_on.isoformat(),
        }

    def for_standard(self, standard) -> dict[str, Decimal] | None:
        """This calculation's figures for ``standard`` (a Standard or its pk), or None when
        it does not cover it."""
        pk = getattr(standard, "pk", standard)
        figures = (self.results or {}).get(str(pk))
        if not figures:
            return None
        try:
            return {key: Decimal(str(value)) for key, value in figures.items()}
        except (InvalidOperation, ValueError):
            return None

    def covers(self, standard) -> bool:
        return self.for_standard(standard) is not None

    def trace_lines(self) -> list[str]:
        """The trace in the active language."""
        return render_trace(self.trace or [])
