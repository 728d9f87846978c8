"""The monthly IAF CertSearch upload duty (IAF MD 28)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.dates import add_months


class CertSearchUpload(models.Model):
    """One month's IAF CertSearch duty (IAF MD 28: upload at least monthly): when the export
    was written, which files, and who recorded the upload to IAF CertSearch. The monthly beat
    task writes the export; reminders (certificates/reminders.py, scan_certsearch) chase the
    upload until staff record it here."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    folder = models.CharField(_("folder"), max_length=500, blank=True)
    # [[file name, rows], ...] of the month's export.
    files = models.JSONField(_("files"), default=list, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("IAF CertSearch upload")
        verbose_name_plural = _("IAF CertSearch uploads")
        ordering = ["-month"]

    def __str__(self):
        return _("IAF CertSearch upload %(month)s") % {"month": f"{self.month:%Y-%m}"}

    @property
    def due_date(self) -> datetime.date:
        """The month's last day: the upload is due within the month."""
        return add_months(self.month, 1) - datetime.timedelta(days=1)
