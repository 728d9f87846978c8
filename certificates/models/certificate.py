"""Certificate versions: the documents a decision issues (number, scope, dates, holder), and
what they print about their holder."""

import re
import unicodedata

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.policy import policy

from .scope_extensions import ExtensionState


class CertificateStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    SUSPENDED = "suspended", _("Suspended")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Ended at the client's request or because it ceased the certified activities, not for
    # failing the requirements (Decision.ending; IAF CertSearch "Cancelled", 注销).
    # A context: "Cancelled" alone is an audit's state (已取消); a certificate is 已注销.
    CANCELLED = "cancelled", pgettext_lazy("certificate status", "Cancelled")
    EXPIRED = "expired", _("Expired")


# A version whose PDF the sweep renders: missing or out of date (no generation time), and issued
# through the services, which record the holder (certificates/documents.py, swept_for_pdf).
PDF_PENDING = (models.Q(pdf="") | models.Q(pdf_generated_at__isnull=True)) & ~models.Q(holder={})


class Certificate(models.Model):
    """One version of the certificate document. A revised certificate (recertification,
    scope change, restoration) is a new version with a suffix (-V2), and the old one is kept
    as superseded (shared/domain.md, Certificates)."""

    certification = models.ForeignKey(
        "certificates.Certification",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("certification"),
    )
    number = models.CharField(_("certificate number"), max_length=40, db_index=True)
    version = models.PositiveSmallIntegerField(_("version"))
    standard = models.ForeignKey(
        "clients.Standard", on_delete=models.PROTECT, verbose_name=_("standard")
    )
    scope = models.TextField(_("scope"))
    effective_date = models.DateField(_("effective date"))
    expiry_date = models.DateField(_("expiry date"))
    original_certification_date = models.DateField(_("original certification date"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CertificateStatus.choices,
        default=CertificateStatus.CURRENT,
        db_index=True,
    )
    decision = models.ForeignKey(
        "certificates.Decision",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("decision"),
    )
    gap_from = models.DateField(
        _("not certified from"),
        null=True,
        blank=True,
        help_text=_("Restored after expiry: the period without a valid certificate."),
    )
    gap_to = models.DateField(_("not certified until"), null=True, blank=True)
    # ISO/IEC 27001: the Statement of Applicability version the scope rests on, as it was when
    # this version was issued (Certification.soa_version).
    soa_version = models.CharField(
        _("Statement of Applicability version"),
        max_length=50,
        blank=True,
        default="",
        db_default="",
    )
    # The number reduced to letters and digits, upper case ("CBITSM000042"): the public lookup
    # tolerates case, spaces, dashes and full-width characters (see number_key()).
    number_key = models.CharField(_("number key"), max_length=40, db_index=True, editable=False)
    # The holder as printed on this version (name, address, sites in scope), recorded when the
    # version is issued: a re-rendered old version still shows what it certified then. Empty for
    # versions created outside the services (seed_demo's bulk path): they print current data.
    holder = models.JSONField(_("holder as printed"), default=dict, blank=True, editable=False)
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/", blank=True)
    pdf_generated_at = models.DateTimeField(_("PDF generated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-version"]
        indexes = [
            # The sweep (certificates/documents.py, every 10 minutes) looks for the few versions
            # whose PDF is pending among a million: this index holds only those.
            models.Index(fields=["id"], condition=PDF_PENDING, name="certificate_pdf_pending"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number", "version"], name="unique_certificate_version"
            ),
            # A version issued on the last day of the cycle (e.g. a scope reduction at the
            # suspension deadline) is valid that one day: expiry may equal the effective date.
            models.CheckConstraint(
                condition=models.Q(expiry_date__gte=models.F("effective_date")),
                name="certificate_expiry_not_before_effective",
            ),
        ]

    def __str__(self):
        return self.full_number

    def save(self, *args, **kwargs):
        # Derived from the number (not business logic): kept with the row so lookups use an index.
        self.number_key = number_key(self.number)
        super().save(*args, **kwargs)

    def holder_snapshot(self) -> dict:
        """What this version prints about its holder: the recorded ``holder``, or (for versions
        issued before it was recorded) the certification's current data."""
        return self.holder or holder_of(self.certification)

    @property
    def full_number(self) -> str:
        """The printed number with its version suffix, e.g. CB-ITSM-000042-V2."""
        return f"{self.number}-V{self.version}"


def sites_in_scope(certification) -> list:
    """The sites a certification covers, central function first: its application's sites when
    the application names them, with those added by the scope extensions granted on that
    application; else all the client's sites. The certificate prints them (holder_of) and the
    IAF CertSearch export lists them; both read through prefetched relations where the caller
    prefetched them (application__sites, client__sites, scope_extensions__sites)."""
    application = certification.application
    sites = list(application.sites.all()) if application is not None else []
    if sites:
        known = {site.pk for site in sites}
        for extension in certification.scope_extensions.all():
            if (
                extension.state == ExtensionState.GRANTED
                and extension.application_id == application.pk
            ):
                for site in extension.sites.all():
                    if site.pk not in known:
                        known.add(site.pk)
                        sites.append(site)
    if not sites:
        sites = list(certification.client.sites.all())
    sites.sort(key=lambda site: (not site.is_central, site.name, site.pk))
    return sites


def holder_of(certification) -> dict:
    """The certified entity as a certificate prints it: names, address and the sites in scope
    (the application's when it names them, else the client's; central function first), each
    with its country code and its activities (its scope there; ISO/IEC 17021-1 8.2.2).
    Snapshots recorded before sites carried "country" and "activities" lack those keys: the
    PDF prints the holder's country and the whole scope for them."""
    client = certification.client
    sites = sites_in_scope(certification)
    return {
        "legal_name": client.legal_name,
        "english_name": client.english_name,
        "address": client.address,
        "city": client.city,
        "country": str(client.country),
        # The accreditation printed with its mark: only where it covers the standard. Recorded
        # with the version, so re-rendering it later prints what it carried when issued.
        "accreditation": policy("ACCREDITATION") if certification.standard.accredited else "",
        "sites": [
            {
                "name": site.name,
                "address": site.address,
                "city": site.city,
                "is_central": site.is_central,
                # Site.country_code without its query for the client (the same client).
                "country": str(site.country or client.country),
                "activities": site.activities,
            }
            for site in sites
        ],
    }


def number_key(text: str) -> str:
    """A certificate number reduced to what a person means by it: NFKC (full-width to ASCII),
    upper case, letters and digits only. "cb-itsm 000042" -> "CBITSM000042"."""
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", text or "").upper())
