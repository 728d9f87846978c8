"""The monthly IAF CertSearch delivery: the month's export written to its folder
(CERTSEARCH_EXPORT_DIR/<YYYY-MM>/, certificates/certsearch.py writes the files), the mail
telling staff it is ready (or why it failed), and the record that they uploaded it (the daily
reminder chases the upload until then: certificates/reminders.py, scan_certsearch)."""

import datetime
import logging
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import user_language
from core.policy import policy
from reminders.recipients import MANAGE, recipient_ids

from .certsearch import (
    FILE_PREFIX,
    CertSearchError,
    ExportFile,
    certsearch_warnings,
    certsearch_write,
)
from .models import CertSearchUpload

logger = logging.getLogger(__name__)


def month_dir(on: datetime.date) -> Path:
    """Where the monthly export of ``on``'s month goes: CERTSEARCH_EXPORT_DIR/<YYYY-MM>/."""
    return Path(policy("CERTSEARCH_EXPORT_DIR")) / f"{on:%Y-%m}"


def certsearch_recipients():
    """Who is told about the monthly export: the same people the reminder scans write to about
    certifications (active staff, or superusers, who manage certifications, with an email)."""
    return get_user_model().objects.filter(pk__in=recipient_ids(MANAGE)).order_by("pk")


def _warning_lines(warnings: list[str]) -> list[str]:
    if not warnings:
        return []
    return ["", _("Before you upload:"), *(f"- {w}" for w in warnings)]


def _mail_text(
    files: list[ExportFile], *, folder: Path, on: datetime.date, warnings: list[str] = ()
) -> tuple[str, str]:
    month = f"{on:%Y-%m}"
    subject = _("IAF CertSearch export for %(month)s is ready") % {"month": month}
    if not files:
        body = _(
            "The monthly IAF CertSearch export for %(month)s found no certificate to upload "
            "(none issued to a client that consented to the listing). Nothing to do this month."
        ) % {"month": month}
        return subject, "\n".join([body, *_warning_lines(list(warnings))])
    lines = [
        _(
            "The monthly IAF CertSearch export for %(month)s is ready to upload to IAF "
            "CertSearch (Data Management, Import Certification, File Upload)."
        )
        % {"month": month},
        "",
        _("Folder: %(folder)s") % {"folder": folder},
        "",
    ]
    lines += [_("%(name)s: %(rows)d rows") % {"name": f.name, "rows": f.rows} for f in files]
    lines += [
        "",
        _("Total: %(rows)d rows in %(files)d files.")
        % {"rows": sum(f.rows for f in files), "files": len(files)},
        *_warning_lines(list(warnings)),
    ]
    return subject, "\n".join(lines)


def _mail(texts) -> int:
    """Mail each recipient, in their language, ``texts()`` -> (subject, body); returns the
    number of mails."""
    recipients = list(certsearch_recipients().select_related("preference"))
    if not recipients:
        return 0
    messages = []
    for user in recipients:
        with translation.override(user_language(user)):
            subject, body = texts()
        messages.append(EmailMessage(subject, body, to=[user.email]))
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


def certsearch_notify(files: list[ExportFile], *, folder: Path, on: datetime.date) -> int:
    """Mail each recipient, in their language, that the month's files are ready (and what to
    set before uploading: ``certsearch_warnings``); returns the number of mails."""
    return _mail(lambda: _mail_text(files, folder=folder, on=on, warnings=certsearch_warnings()))


def certsearch_notify_failure(error: CertSearchError, *, on: datetime.date) -> int:
    """Mail each recipient that the month's export could not be written, with every problem
    found (in the language the export ran in; the frame in each recipient's)."""
    month = f"{on:%Y-%m}"

    def texts():
        subject = _("IAF CertSearch export for %(month)s failed") % {"month": month}
        lines = [
            _(
                "The monthly IAF CertSearch export for %(month)s could not be written. Correct "
                "the records below, then download a fresh export from the workspace's IAF "
                "CertSearch page and upload it."
            )
            % {"month": month},
            "",
            *error.messages,
        ]
        return subject, "\n".join(lines)

    return _mail(texts)


def certsearch_export_monthly(*, on: datetime.date) -> list[ExportFile]:
    """Write the month's export into CERTSEARCH_EXPORT_DIR/<YYYY-MM>/, record it on the
    month's CertSearchUpload and tell staff, once a month.

    Safe to run twice: the month's folder ends up holding only this run's files (each replaced
    atomically; files of an earlier run that month are removed once the new ones are written),
    the record is updated, and staff are mailed only by the month's first export (a failed
    mail rolls the record back, so the retry mails). Until staff record the upload, the daily
    reminder scan chases it (certificates/reminders.py, scan_certsearch).
    """
    folder = month_dir(on)
    for warning in certsearch_warnings():
        logger.warning("IAF CertSearch export %s: %s", f"{on:%Y-%m}", warning)
    try:
        files = certsearch_write(out_dir=folder, on=on)
    except CertSearchError as err:
        logger.error("IAF CertSearch export %s failed: %s", f"{on:%Y-%m}", err)
        certsearch_notify_failure(err, on=on)
        raise
    keep = {f.path.name for f in files}
    for old in folder.glob(f"{FILE_PREFIX}-*.xlsx"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
    with transaction.atomic():
        upload, _created = CertSearchUpload.objects.get_or_create(month=on.replace(day=1))
        upload = CertSearchUpload.objects.select_for_update().get(pk=upload.pk)
        first = upload.exported_at is None
        upload.exported_at = timezone.now()
        upload.folder = str(folder)
        upload.files = [[f.name, f.rows] for f in files]
        upload.save()
        if first:
            certsearch_notify(files, folder=folder, on=on)
    return files


def certsearch_record_upload(*, uploads, by) -> int:
    """Record that ``by`` uploaded these months to IAF CertSearch (those not recorded yet);
    returns how many were recorded now. The reminders for those months stop."""
    return uploads.filter(uploaded_at__isnull=True).update(
        uploaded_at=timezone.now(), uploaded_by=by
    )
