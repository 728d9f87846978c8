"""Running an import job (the worker's side, or the request's for a small file): one phase
(preview or import) of a queued job, its progress live in the "progress" cache.

Progress is kept in the "progress" cache (shared by web and worker: the Redis cache in
production, files under var/ in the default run), because the import's own transaction cannot
publish it until it ends. A job runs once: the run claims it (queued -> running) with one
conditional UPDATE, so a task delivered twice does nothing the second time.

The file is imported by its kind's ``run`` (registry.py: each app registers its kinds).
"""

import logging

from django.core.cache import caches
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ImportJob
from .registry import import_kind

logger = logging.getLogger(__name__)


def _progress_key(job_id: int) -> str:
    return f"certbody:import-progress:{job_id}"


def job_progress(job: ImportJob) -> tuple[int, int | None]:
    """(rows done, rows in the file or None) of a job, live while it runs."""
    if job.status == ImportJob.Status.RUNNING:
        done, total = caches["progress"].get(_progress_key(job.pk), (0, job.rows_total))
        return done, total
    return job.rows_done, job.rows_total


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

    kind = import_kind(job.kind)
    try:
        with job.file.open("rb") as source:
            report = kind.run(
                source,
                encoding=job.encoding or None,
                dry_run=job.phase == ImportJob.Phase.PREVIEW,
                progress=progress,
                by=job.created_by,
            )
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
