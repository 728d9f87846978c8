"""django-import-export in the admin, held to the rules of the other imports and exports.

Every ModelAdmin that imports or exports with django-import-export puts
:class:`SafeImportExportMixin` first (tests/clients/test_csv_injection.py checks all of them).
It offers two formats only, CSV and XLSX:

- CSV export neutralises text cells a spreadsheet would run as a formula with a leading ``'``
  (infra/csvsafe.py), and CSV import takes that quote off again, so an export imports back
  unchanged. (django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT deletes the
  first ``=`` instead, so a value would not survive the round trip; it stays off.)
- XLSX export writes text cells as text, never as formulas (tablib writes a text beginning with
  ``=`` as a formula); XLSX import reads the workbook through infra/tabular/, with
  its limits on what a workbook may unpack to (a ZIP bomb is refused from the ZIP directory,
  before anything is unpacked) and on columns and rows.

These imports run in the web request, so the upload itself is held to the inline limits:
IMPORT_INLINE_MAX_BYTES for the file and IMPORT_INLINE_MAX_UNPACKED_BYTES for what a workbook
unpacks to (an audit-time table is a few KB). Messages name the setting.
"""

import io

import tablib
from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from import_export.formats import base_formats
from import_export.forms import ImportForm

from core.policy import policy
from infra.csvsafe import neutralise, unneutralise
from infra.tabular import (
    ImportFileError,
    check_workbook,
    human_size,
    open_table,
    unpacked_size,
    write_table,
)

INLINE_TOO_BIG = _(
    "The file is %(size)s; at most %(limit)s is accepted here, as it is read while you wait "
    "(CERTBODY_IMPORT_INLINE_MAX_BYTES)."
)
INLINE_UNPACKED_TOO_BIG = _(
    "The workbook unpacks to %(size)s; at most %(limit)s is accepted here, as it is read while "
    "you wait (CERTBODY_IMPORT_INLINE_MAX_UNPACKED_BYTES)."
)


def check_inline_upload(stream) -> None:
    """Refuse (ImportFileError) a file too large to read in a web request: its size, and for
    a workbook what it unpacks to and the other limits of infra/tabular/workbook.py."""
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    limit = policy("IMPORT_INLINE_MAX_BYTES")
    if size > limit:
        raise ImportFileError(
            INLINE_TOO_BIG % {"size": human_size(size), "limit": human_size(limit)}
        )
    check_workbook(stream)
    unpacked = unpacked_size(stream)
    limit = policy("IMPORT_INLINE_MAX_UNPACKED_BYTES")
    if unpacked is not None and unpacked > limit:
        raise ImportFileError(
            INLINE_UNPACKED_TOO_BIG % {"size": human_size(unpacked), "limit": human_size(limit)}
        )


def _map_cells(dataset: tablib.Dataset, function) -> tablib.Dataset:
    mapped = tablib.Dataset(title=dataset.title)
    if dataset.headers:
        mapped.headers = [function(h) for h in dataset.headers]
    for row in dataset:
        mapped.append([function(value) for value in row])
    return mapped


class SafeCSV(base_formats.CSV):
    """CSV whose text cells are neutralised on export and restored on import."""

    def create_dataset(self, in_stream, **kwargs):
        return _map_cells(super().create_dataset(in_stream, **kwargs), unneutralise)

    def export_data(self, dataset, **kwargs):
        return super().export_data(_map_cells(dataset, neutralise), **kwargs)


class SafeXLSX(base_formats.XLSX):
    """XLSX read with the import's limits and checks, written with text cells as text."""

    def create_dataset(self, in_stream):
        stream = io.BytesIO(in_stream)
        check_inline_upload(stream)
        with open_table(stream) as table:
            width = len(table.headers)
            dataset = tablib.Dataset(headers=table.headers)
            for _number, values in table.rows():
                dataset.append(values[:width])
        return dataset

    def export_data(self, dataset, **kwargs):
        out = io.BytesIO()
        write_table(
            out,
            headers=list(dataset.headers or []),
            rows=iter(dataset),
            format="xlsx",
            encoding="utf-8",
            sheet_name=(dataset.title or "Sheet")[:31],
        )
        return out.getvalue()


FORMATS = [SafeCSV, SafeXLSX]


class SafeImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            check_inline_upload(upload)
        except ImportFileError as err:
            raise forms.ValidationError(err.messages) from err
        return upload


class SafeImportExportMixin:
    """Put first in the bases of every django-import-export ModelAdmin (see the module)."""

    formats = FORMATS
    import_form_class = SafeImportForm

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportFileError):
            for message in e.messages:
                form.add_error("import_file", message)
            return
        super().add_data_read_fail_error_to_form(form, e)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        # django-import-export gives native values (numbers, dates) only to the formats in its
        # own BINARY_FORMATS list, which SafeXLSX is not in.
        if not isinstance(file_format, SafeXLSX):
            return super().get_export_data(file_format, request, queryset, **kwargs)
        if not self.has_export_permission(request):
            raise PermissionDenied
        data = self.get_data_for_export(request, queryset, force_native_type=True, **kwargs)
        return file_format.export_data(data)
