"""Thin Celery adapters for imports (clients/imports/jobs.py)."""

from celery import shared_task


@shared_task
def run_import_job(job_id: int) -> bool:
    """Run a queued import job (preview or import). Safe to deliver twice: a job runs once."""
    from .imports.jobs import job_run

    return job_run(job_id)
