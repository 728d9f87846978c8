"""Imports from the admin: upload, preview (a dry run), confirm, import.

A file up to IMPORT_INLINE_MAX_BYTES (policy), and a workbook that also unpacks to at most
IMPORT_INLINE_MAX_UNPACKED_BYTES (from its ZIP directory: a small .xlsx can hold much), runs in
the request; a larger one on the Celery worker (clients.tasks.run_import_job), and the job's
page shows a progress bar (rows done of rows in the file) until it ends (runner.py runs a job
and keeps its progress).
"""

import logging

from django.utils.translation import gettext as _

from core.policy import policy
from infra.queueing import enqueue_after_commit
from infra.tabular import unpacked_size

from ..models import ImportJob
from ..tasks import run_import_job
from .runner import job_run

logger = logging.getLogger(__name__)


def job_start(*, kind: str, upload, encoding: str, by) -> ImportJob:
    """Store the uploaded file and check it (the preview)."""
    job = ImportJob.objects.create(
        kind=kind,
        file=upload,
        file_name=upload.name[:255],
        encoding=encoding or "",
        phase=ImportJob.Phase.PREVIEW,
        status=ImportJob.Status.QUEUED,
        created_by=by,
    )
    _run_or_queue(job)
    return job


def job_confirm(job: ImportJob) -> ImportJob:
    """Import a previewed file whose preview found no problem."""
    if not (
        job.phase == ImportJob.Phase.PREVIEW
        and job.status == ImportJob.Status.DONE
        and job.report.get("ok")
    ):
        raise ValueError(_("Only a checked file without problems can be imported."))
    updated = ImportJob.objects.filter(
        pk=job.pk, phase=ImportJob.Phase.PREVIEW, status=ImportJob.Status.DONE
    ).update(phase=ImportJob.Phase.IMPORT, status=ImportJob.Status.QUEUED, rows_done=0)
    job.refresh_from_db()
    if updated:
        _run_or_queue(job)
    return job


def _runs_inline(job: ImportJob) -> bool:
    if job.file.size > policy("IMPORT_INLINE_MAX_BYTES"):
        return False
    with job.file.open("rb") as source:
        unpacked = unpacked_size(source)
    return unpacked is None or unpacked <= policy("IMPORT_INLINE_MAX_UNPACKED_BYTES")


def _run_or_queue(job: ImportJob) -> None:
    if _runs_inline(job):
        job_run(job.pk)
        job.refresh_from_db()
        return

    def not_queued():  # the broker is down: say so on the job's page
        logger.error("Could not queue import job %s", job.pk)
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.FAILED,
            report={
                "ok": False,
                "file_error": [_("The task queue is not available: try again later.")],
            },
        )

    # Off the request (infra/queueing.py): the user's page answers at once and shows the
    # job queued, or failed once the broker refused it.
    enqueue_after_commit(run_import_job, job.pk, on_failure=not_queued)
