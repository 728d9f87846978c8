"""The monthly IAF CertSearch duty as the workspace shows it: each month's export and upload
status (CertSearchUpload rows: one a month, a handful in all) and the month's exported files
that are still on disk (CERTSEARCH_EXPORT_DIR/<YYYY-MM>/, written by the monthly task,
certificates/certsearch.py)."""

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..certsearch import FILE_PREFIX
from ..models import CertSearchUpload

# The names the export writes (certsearch-YYYY-MM-DD-NNN.xlsx): nothing else is served.
EXPORT_NAME = re.compile(rf"^{FILE_PREFIX}-\d{{4}}-\d{{2}}-\d{{2}}-\d{{3}}\.xlsx$")


@dataclass
class Month:
    """One month's duty: ``status`` "uploaded", "overdue" (its last day passed) or "due"."""

    upload: CertSearchUpload
    status: str
    files: list = field(default_factory=list)  # [(name, rows)] as exported
    on_disk: list = field(default_factory=list)  # the exported files still there (Paths)

    @property
    def downloadable(self) -> bool:
        return bool(self.files) and len(self.on_disk) == len(self.files)


def month_status(upload: CertSearchUpload, *, on: datetime.date) -> str:
    if upload.uploaded_at is not None:
        return "uploaded"
    return "overdue" if upload.due_date < on else "due"


def exported_files(upload: CertSearchUpload) -> list[Path]:
    """The month's exported files that exist in its folder (only export names, only inside
    the folder)."""
    if not upload.folder:
        return []
    folder = Path(upload.folder)
    found = []
    for entry in upload.files or []:
        name = str(entry[0]) if entry else ""
        path = folder / name
        if EXPORT_NAME.match(name) and path.is_file():
            found.append(path)
    return found


def certsearch_months(uploads, *, on: datetime.date) -> list[Month]:
    """``uploads`` (a page of CertSearchUpload rows) as Months."""
    return [
        Month(
            upload=u,
            status=month_status(u, on=on),
            files=[(str(name), rows) for name, rows in (u.files or [])],
            on_disk=exported_files(u),
        )
        for u in uploads
    ]


def certsearch_uploads():
    """Every month's row, newest first, with who recorded the upload."""
    return CertSearchUpload.objects.select_related("uploaded_by").order_by("-month")


__all__ = ["Month", "certsearch_months", "certsearch_uploads", "exported_files", "month_status"]
