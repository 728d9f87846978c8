"""The workspace's upload form for an import: the admin's (clients/admin/imports.py, the same
size limit and workbook checks before anything is stored), offering only the kinds of file the
user may import (clients/imports/registry.py: each kind's permissions)."""

from clients.admin.imports import ImportUploadForm
from clients.imports.registry import IMPORT_KINDS
from clients.models import ImportJob


def importable_kinds(user) -> list[str]:
    """The kinds of ImportJob ``user`` may upload (all of a kind's permissions held), in the
    order of ``ImportJob.Kind``."""
    return [
        value
        for value in ImportJob.Kind.values
        if value in IMPORT_KINDS and user.has_perms(IMPORT_KINDS[value].permissions)
    ]


class ImportForm(ImportUploadForm):
    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        kind.choices = [(v, label) for v, label in ImportJob.Kind.choices if v in kinds]
        kind.initial = kinds[0] if kinds else None
        self.fields["file"].widget.attrs.update(
            {"accept": ".csv,.xlsx,text/csv", "id": "import-file"}
        )
