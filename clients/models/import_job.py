"""The record of one client-list import: its file, phase, status and progress."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One file uploaded for import in the admin: first checked (a dry run: the preview of
    what would be created, updated and left unchanged, and every row error), then, once staff
    confirm, imported. Large files run on the Celery worker with a progress bar
    (clients/imports/jobs.py)."""

    class Kind(models.TextChoices):
        CLIENTS = "clients", _("Clients")
        CERTIFICATES = "certificates", _("Existing certificates")

    class Phase(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        IMPORT = "import", _("Import")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    # ImportReport.as_dict() of the phase's last run.
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.file_name}"
