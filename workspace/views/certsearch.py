"""The monthly IAF CertSearch upload (IAF MD 28): the months with their export and upload
status, the month's exported files to download, and "mark uploaded", for staff who manage
certifications (certificates.certsearch.MANAGE_PERMISSION, the admin's permission for it).

The month rows are the body's own duty, not a client's data (no need-to-know policy: the
permission is the door, as in the admin); a fresh export reads only the certifications the user
may see (core.need_to_know.visible). Writes go through certificates.certsearch
(``certsearch_record_upload``, as the admin's form CertSearchUploadForm does)."""

import tempfile
import zipfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from certificates.admin.forms import CertSearchUploadForm
from certificates.certsearch import (
    FILE_PREFIX,
    MANAGE_PERMISSION,
    XLSX_CONTENT_TYPE,
    CertSearchError,
    certsearch_download,
    certsearch_warnings,
)
from certificates.certsearch_delivery import certsearch_record_upload
from certificates.models import Certification, CertSearchUpload
from certificates.selectors.certsearch import certsearch_months, certsearch_uploads, exported_files
from core.dates import local_today
from core.need_to_know import visible
from infra.paging import window

from ..access import Role, workspace_page

PER_PAGE = 24  # two years of months


def _door(request) -> None:
    """As the admin: active and holding the permission, else 403."""
    if not (request.user.is_active and request.user.has_perm(MANAGE_PERMISSION)):
        raise PermissionDenied


@workspace_page(Role.STAFF)
def certsearch(request):
    _door(request)
    today = local_today()
    page = window(certsearch_uploads(), request.GET.get("page"), per_page=PER_PAGE)
    months = certsearch_months(page.rows, on=today)
    return render(
        request,
        "workspace/gaps/certsearch.html",
        {
            "page": page,
            "months": months,
            "today": today,
            "form": CertSearchUploadForm(),
            "warnings": certsearch_warnings(),
        },
    )


def _back(pk=None) -> str:
    url = reverse("workspace:certsearch")
    return f"{url}#month-{pk}" if pk else url


@workspace_page(Role.STAFF)
def certsearch_uploaded(request, pk):
    """POST: record the month as uploaded to IAF CertSearch (the box ticked), through the
    admin's form and certsearch_record_upload; the reminders for it stop."""
    _door(request)
    upload = get_object_or_404(CertSearchUpload, pk=pk)
    month = f"{upload.month:%Y-%m}"
    if request.method != "POST":
        return redirect(_back(upload.pk))
    form = CertSearchUploadForm(request.POST, instance=upload)
    if not (form.is_valid() and form.cleaned_data.get("uploaded")):
        messages.error(
            request,
            _("Nothing was recorded for %(month)s: tick “Uploaded to IAF CertSearch” first.")
            % {"month": month},
        )
        return redirect(_back(upload.pk))
    count = certsearch_record_upload(
        uploads=CertSearchUpload.objects.filter(pk=upload.pk), by=request.user
    )
    if count:
        messages.success(
            request, _("%(month)s recorded as uploaded to IAF CertSearch.") % {"month": month}
        )
    else:
        messages.info(
            request,
            _("%(month)s was already recorded as uploaded: nothing changed.") % {"month": month},
        )
    return redirect(_back(upload.pk))


@workspace_page(Role.STAFF)
def certsearch_files(request, pk):
    """The month's exported files: the .xlsx when there is one, else a .zip of them."""
    _door(request)
    upload = get_object_or_404(CertSearchUpload, pk=pk)
    files = exported_files(upload)
    if not files or len(files) != len(upload.files or []):
        messages.error(
            request,
            _(
                "The files exported for %(month)s are no longer on the server: download a "
                "fresh export instead."
            )
            % {"month": f"{upload.month:%Y-%m}"},
        )
        return redirect(_back(upload.pk))
    if len(files) == 1:
        return FileResponse(
            open(files[0], "rb"),
            as_attachment=True,
            filename=files[0].name,
            content_type=XLSX_CONTENT_TYPE,
        )
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it; closing deletes)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for f in files:
            archive.write(f, f.name)
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{FILE_PREFIX}-{upload.month:%Y-%m}.zip",
        content_type="application/zip",
    )


@workspace_page(Role.STAFF)
def certsearch_export(request):
    """A fresh export as of today of the certifications the user may see (as the admin's
    "Export to IAF CertSearch" action on every certification)."""
    _door(request)
    try:
        download = certsearch_download(
            on=local_today(), certifications=visible(Certification.objects.all(), request.user)
        )
    except CertSearchError as err:
        for message in err.messages:
            messages.error(request, message)
        return redirect(_back())
    if download is None:
        messages.warning(
            request,
            _(
                "Nothing to export: no certification has an issued certificate of a client "
                "that consented to the IAF CertSearch listing."
            ),
        )
        return redirect(_back())
    name, content_type, handle = download
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)


urlpatterns = [
    path("certsearch/", certsearch, name="certsearch"),
    path("certsearch/export/", certsearch_export, name="certsearch_export"),
    path("certsearch/<int:pk>/files/", certsearch_files, name="certsearch_files"),
    path("certsearch/<int:pk>/uploaded/", certsearch_uploaded, name="certsearch_uploaded"),
]
