"""Import and export of audit-time tables (django-import-export), so staff can replace a
stand-in table from a spreadsheet (CSV, XLSX, ...).

One spreadsheet row per band: ``standard`` (as printed, e.g. "ISO/IEC 20000-1:2018"),
``min_personnel``, ``max_personnel``, ``days``; a band is identified by its standard and
``min_personnel``. A file *replaces* the bands of every standard it names: bands of those
tables that the file does not list are removed, so that an old band cannot overlap a new one.
After the import the bands of each table are checked: overlapping bands are an error and
nothing is imported; gaps between bands are reported as warnings (``import_warnings``).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from .audit_time.tables import Band, table_problems
from .models import AuditTimeRow, AuditTimeTable

MSG_UNKNOWN_STANDARD = _(
    "There is no audit-time table for the standard “%(value)s”. Known: %(known)s. Create the "
    "table first (Audit-time tables), then import its rows."
)
MSG_STANDARD_FORMAT = _(
    "Write the standard as code and edition, e.g. “ISO 9001:2015” (got “%(value)s”)."
)


def _label(table: AuditTimeTable) -> str:
    return str(table.standard)


class TableByStandardWidget(widgets.ForeignKeyWidget):
    """The table of a standard written as "code:edition" ("ISO 9001:2015")."""

    def __init__(self):
        super().__init__(AuditTimeTable)

    def clean(self, value, row=None, **kwargs):
        text = (str(value) if value is not None else "").strip()
        code, sep, edition = text.rpartition(":")
        if not sep or not code.strip() or not edition.strip():
            raise ValueError(MSG_STANDARD_FORMAT % {"value": text})
        table = (
            AuditTimeTable.objects.select_related("standard")
            .filter(standard__code__iexact=code.strip(), standard__edition=edition.strip())
            .first()
        )
        if table is None:
            known = ", ".join(_label(t) for t in AuditTimeTable.objects.select_related("standard"))
            raise ValueError(MSG_UNKNOWN_STANDARD % {"value": text, "known": known or "-"})
        return table

    def render(self, value, obj=None, **kwargs):
        return _label(value) if value is not None else ""


class AuditTimeRowResource(resources.ModelResource):
    table = fields.Field(attribute="table", column_name="standard", widget=TableByStandardWidget())
    min_personnel = fields.Field(
        attribute="min_personnel", column_name="min_personnel", widget=widgets.IntegerWidget()
    )
    max_personnel = fields.Field(
        attribute="max_personnel", column_name="max_personnel", widget=widgets.IntegerWidget()
    )
    days = fields.Field(attribute="days", column_name="days", widget=widgets.DecimalWidget())

    class Meta:
        model = AuditTimeRow
        fields = ("table", "min_personnel", "max_personnel", "days")
        import_id_fields = ("table", "min_personnel")
        export_order = ("table", "min_personnel", "max_personnel", "days")
        skip_unchanged = True
        report_skipped = False
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.import_warnings: list[str] = []
        self._tables: set[int] = set()

    def get_export_queryset(self, request=None, **kwargs):
        return super().get_queryset().select_related("table__standard")

    def before_import(self, dataset, **kwargs):
        """A file replaces the bands of the tables it names: drop the bands it leaves out."""
        widget = TableByStandardWidget()
        listed: dict[int, set[int]] = {}
        if "standard" not in (dataset.headers or []):
            return
        for row in dataset.dict:
            try:
                table = widget.clean(row.get("standard"))
                low = int(str(row.get("min_personnel")).strip())
            except (TypeError, ValueError):
                continue  # the row itself reports the error
            listed.setdefault(table.pk, set()).add(low)
        for table_id, lows in listed.items():
            AuditTimeRow.objects.filter(table_id=table_id).exclude(min_personnel__in=lows).delete()
        self._tables = set(listed)

    def after_import(self, dataset, result, **kwargs):
        """Check every table the file touched: overlaps undo the import, gaps warn."""
        errors = []
        self.import_warnings = []
        for table in AuditTimeTable.objects.filter(pk__in=self._tables).select_related("standard"):
            table_errors, table_warnings = table_problems(
                [Band(r.min_personnel, r.max_personnel, r.days) for r in table.rows.all()],
                standard=_label(table),
            )
            errors += table_errors
            self.import_warnings += table_warnings
        if errors:
            raise ValidationError(errors)
