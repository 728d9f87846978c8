"""Imports in the workspace: my recent import jobs (status and progress), and the upload →
preview → confirm → progress of a client list (or, for decision makers, existing
certificates), on the job machinery the admin uses (clients/imports/jobs.py: ``job_start``
stores and checks the file, ``job_confirm`` imports a previewed file without problems; small
files run in the request, large ones on the worker while the page shows their progress).

Who may: whoever holds the permissions of a kind of file (clients/imports/registry.py), as in
the admin; a job of a kind the user may not import does not exist for them (404)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.imports.jobs import job_confirm, job_start
from clients.imports.runner import job_progress
from clients.models import ImportJob
from core.dates import local_datetime_text, local_today
from infra.exports import FORMATS, Column, export_response
from infra.paging import window

from ..access import OFFICE, workspace_page
from ..forms.imports import ImportForm, importable_kinds

PER_PAGE = 20
RUNNING = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)

EXPORT_COLUMNS = [
    Column(gettext_lazy("Uploaded at"), lambda j: local_datetime_text(j.created_at)),
    Column(gettext_lazy("What the file holds"), lambda j: j.get_kind_display()),
    Column(gettext_lazy("File"), lambda j: j.file_name),
    Column(gettext_lazy("Phase"), lambda j: j.get_phase_display()),
    Column(gettext_lazy("Status"), lambda j: j.get_status_display()),
    Column(gettext_lazy("Rows"), lambda j: j.rows_done),
    Column(gettext_lazy("Summary"), lambda j: (j.report or {}).get("summary", "")),
]


def _kinds(request) -> list[str]:
    kinds = importable_kinds(request.user)
    if not kinds:
        raise PermissionDenied
    return kinds


def _state(job) -> dict:
    """What a job's page and row show: progress while it runs, whether it can be confirmed."""
    done, total = job_progress(job)
    report = job.report or {}
    return {
        "job": job,
        "report": report,
        "done": done,
        "total": total,
        "running": job.status in RUNNING,
        "can_confirm": (
            job.phase == ImportJob.Phase.PREVIEW
            and job.status == ImportJob.Status.DONE
            and bool(report.get("ok"))
        ),
        "imported": (
            job.phase == ImportJob.Phase.IMPORT
            and job.status == ImportJob.Status.DONE
            and bool(report.get("committed"))
        ),
    }


@workspace_page(*OFFICE)
def imports(request):
    """My recent import jobs, newest first."""
    _kinds(request)
    rows = ImportJob.objects.filter(created_by=request.user).order_by("-pk")
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(
            fmt,
            filename=f"imports-{local_today().isoformat()}",
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=500),
        )
    page = window(rows, request.GET.get("page"), per_page=PER_PAGE)
    page.rows = [_state(job) for job in page.rows]
    return render(request, "workspace/imports/list.html", {"page": page})


@workspace_page(*OFFICE)
def import_new(request):
    """Upload a file: it is checked first (the preview), nothing is written until confirmed."""
    kinds = _kinds(request)
    form = ImportForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        job = job_start(
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            encoding=form.cleaned_data["encoding"],
            by=request.user,
        )
        return redirect("workspace:import_job", pk=job.pk)
    return render(request, "workspace/imports/new.html", {"form": form})


@workspace_page(*OFFICE)
def import_job(request, pk):
    """The job: its progress while it runs (the page refreshes itself), then the preview's
    report (what would be created, updated, left unchanged; every row's problem) and the
    button that imports the file; after the import, what was done."""
    kinds = importable_kinds(request.user)
    if not kinds:
        raise Http404
    job = get_object_or_404(
        ImportJob.objects.filter(kind__in=kinds).select_related("created_by"), pk=pk
    )
    if request.method == "POST":
        if "confirm" in request.POST:
            try:
                job = job_confirm(job)
            except ValueError as err:
                messages.error(request, str(err))
            else:
                if job.status == ImportJob.Status.DONE and (job.report or {}).get("committed"):
                    messages.success(request, _("Imported."))
        return redirect("workspace:import_job", pk=job.pk)
    context = _state(job)
    if getattr(request, "htmx", False):
        return render(request, "workspace/imports/_job.html", context)
    return render(request, "workspace/imports/job.html", context)


urlpatterns = [
    path("imports/", imports, name="imports"),
    path("imports/new/", import_new, name="import_new"),
    path("imports/<int:pk>/", import_job, name="import_job"),
]
