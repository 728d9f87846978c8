"""What clients apply for: the standards with their intake checklists (required documents), and the
IAF technical areas of their activities."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TechnicalArea(models.Model):
    """An IAF scope sector (EA/IAF code 1-39; IT services are mainly 33). Auditors are
    qualified per standard and technical area (shared/domain.md, Auditors)."""

    code = models.PositiveSmallIntegerField(_("IAF code"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("technical area")
        verbose_name_plural = _("technical areas")
        ordering = ["code"]

    def __str__(self):
        name = (
            self.name_zh if (get_language() or "").startswith("zh") and self.name_zh else self.name
        )
        return f"IAF {self.code:02d} {name}"


class Standard(models.Model):
    """A management-system standard with its edition, e.g. ISO/IEC 20000-1:2018."""

    code = models.CharField(_("code"), max_length=50, help_text="ISO/IEC 20000-1")
    edition = models.CharField(_("edition"), max_length=10, help_text="2018")
    title = models.CharField(_("title"), max_length=255, blank=True)
    certificate_code = models.CharField(
        _("certificate code"),
        max_length=10,
        help_text=_("Short code used in certificate numbers, e.g. ITSM, QMS, ISMS."),
    )
    is_active = models.BooleanField(_("accepting applications"), default=True)
    # IAF CertSearch, "Standard & Scheme": the scheme as the body's accreditation names it.
    scheme_name = models.CharField(
        _("scheme name"),
        max_length=255,
        blank=True,
        help_text=_(
            "The certification scheme as your accreditation names it (IAF CertSearch "
            "“Scheme Name”). Empty: the standard's code and edition."
        ),
        default="",
        db_default="",
    )
    accredited = models.BooleanField(
        _("within the accreditation"),
        default=True,
        help_text=_(
            "The body's accreditation covers this standard: its certificates carry the "
            "accreditation mark and IAF CertSearch lists them as accredited."
        ),
        db_default=True,
    )
    requires_soa = models.BooleanField(
        _("scope names the Statement of Applicability"),
        default=False,
        help_text=_("ISO/IEC 27001: the certificate's scope gives the SoA version."),
        db_default=False,
    )

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["code", "-edition"]
        constraints = [models.UniqueConstraint(fields=["code", "edition"], name="unique_edition")]

    def __str__(self):
        return f"{self.code}:{self.edition}"


class RequiredDocument(models.Model):
    """One entry of a standard's application document checklist (data, editable by staff)."""

    standard = models.ForeignKey(
        Standard,
        on_delete=models.CASCADE,
        related_name="required_documents",
        verbose_name=_("standard"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=255)
    title_zh = models.CharField(_("title (Chinese)"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["standard", "position"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "title"], name="unique_required_document")
        ]

    def __str__(self):
        return self.localized_title

    @property
    def localized_title(self) -> str:
        """The title in the active language (Chinese when the interface speaks Chinese)."""
        if self.title_zh and (get_language() or "").startswith("zh"):
            return self.title_zh
        return self.title
