"""Thin Celery adapters for imports (clients/imports/runner.py)."""

from celery import shared_task

from .imports.runner import job_run


@shared_task
def run_import_job(job_id: int) -> bool:
    """Run a queued import job (preview or import). Safe to deliver twice: a job runs once."""
    return job_run(job_id)
