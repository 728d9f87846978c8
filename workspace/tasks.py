"""Thin Celery adapters of the workspace."""

from celery import shared_task

from .views.dashboard import refresh_figures


@shared_task
def refresh_dashboard_figures() -> None:
    """Every few minutes: compute the dashboard's figures into the shared cache, so that no
    reader waits for them (at a million certifications they take seconds; the page reads them
    in milliseconds). With a per-process memory cache (development) the web process computes
    its own when they are missing."""
    refresh_figures()
