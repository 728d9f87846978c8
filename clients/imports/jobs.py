"""Imports from the admin: upload, preview (a dry run), confirm, import.

A file up to IMPORT_INLINE_MAX_BYTES (policy), and a workbook that also unpacks to at most
IMPORT_INLINE_MAX_UNPACKED_BYTES (from its ZIP directory: a small .xlsx can hold much), runs in
the request; a larger one on the Celery worker (clients.tasks.run_import_job), and the job's
page shows a progress bar (rows done of rows in the file) until it ends. Progress is kept in
the "progress" cache (shared by web and worker: the Redis cache in production, files under var/
in the default run), because the import's own transaction cannot publish it until it ends.

A job runs once: the worker claims it (queued -> running) with one conditional UPDATE, so a
task delivered twice does nothing the second time.
"""

import logging

from django.core.cache import caches
from django.utils import timezone
from django.utils.translation import gettext as _

from core.policy import policy
from infra.queueing import enqueue_after_commit

from ..models import ImportJob
from .tabular import unpacked_size

logger = logging.getLogger(__name__)


def _importer(kind):
    if kind == ImportJob.Kind.CERTIFICATES:
        from .certificate_import import import_certificates

        return import_certificates
    from .client_import import import_clients

    return import_clients


def _progress_key(job_id: int) -> str:
    return f"certbody:import-progress:{job_id}"


def job_progress(job: ImportJob) -> tuple[int, int | None]:
    """(rows done, rows in the file or None) of a job, live while it runs."""
    if job.status == ImportJob.Status.RUNNING:
        done, total = caches["progress"].get(_progress_key(job.pk), (0, job.rows_total))
        return done, total
    return job.rows_done, job.rows_total


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
    from ..tasks import run_import_job

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


def job_run(job_id: int) -> bool:
    """Run a queued job's phase; False if another run has it (or had it)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    )
    if not claimed:
        return False
    job = ImportJob.objects.get(pk=job_id)
    cache = caches["progress"]

    def progress(done, total):
        cache.set(_progress_key(job_id), (done, total), timeout=24 * 3600)

    importer = _importer(job.kind)
    kwargs = {"encoding": job.encoding or None, "dry_run": job.phase == ImportJob.Phase.PREVIEW}
    if job.kind == ImportJob.Kind.CERTIFICATES:
        kwargs["by"] = job.created_by
    try:
        with job.file.open("rb") as source:
            report = importer(source, progress=progress, **kwargs)
        data, status = report.as_dict(), ImportJob.Status.DONE
        rows = report.total
    except Exception:  # all or nothing: the import's transaction was rolled back
        logger.exception("Import job %s failed", job_id)
        data = {
            "ok": False,
            "file_error": [
                _(
                    "The import stopped on an unexpected error; nothing was written. The "
                    "error is in the server log."
                )
            ],
        }
        status, rows = ImportJob.Status.FAILED, 0
    ImportJob.objects.filter(pk=job_id).update(
        status=status, report=data, rows_done=rows, rows_total=rows, finished_at=timezone.now()
    )
    cache.delete(_progress_key(job_id))
    return True
