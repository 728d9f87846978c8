"""What an import reports: its counts and every row error (row, column, value, why).

Each import's report (the client list's, the certificates') extends :class:`ImportReport` with
its own counts and its own ``summary()``; ``as_dict()`` is what ImportJob.report stores.
"""

import dataclasses
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Rows reported in full; beyond this only counted (a file with 100,000 bad rows would otherwise
# make a report nobody reads).
MAX_REPORTED_ERRORS = 1000

# Row errors every import has (a value's own problems are each import's).
MSG_REQUIRED = gettext_lazy("required, but empty")
MSG_TOO_LONG = gettext_lazy("longer than %(max)d characters")
MSG_EXTRA_VALUES = gettext_lazy("values beyond the last column with a header")
MSG_AMBIGUOUS_COLUMN = gettext_lazy("columns %(headers)s all mean the same field: keep one of them")
MSG_MISSING_COLUMN = gettext_lazy("required column missing (header %(zh)s or %(en)s)")


class Rollback(Exception):
    """Leaves the import's transaction: a dry run, or a row failed."""


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str

    def __str__(self):
        where = _("row %(row)d") % {"row": self.row}
        if self.column:
            where += f", {self.column}"
        value = f' "{self.value}"' if self.value not in ("", None) else ""
        return f"{where}{value}: {self.message}"


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    file_error: list[str] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False
    format: str = ""
    encoding: str | None = None

    @property
    def ok(self) -> bool:
        return not self.error_count and not self.file_error

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def as_dict(self) -> dict:
        """For ImportJob.report (JSON): messages as plain strings."""
        data = dataclasses.asdict(self)
        data["errors"] = [dataclasses.asdict(e) for e in self.errors]
        data["file_error"] = [str(m) for m in self.file_error]
        data["summary"] = self.summary()
        data["ok"] = self.ok
        return data

    def summary(self) -> str:
        """One sentence: what the import did (or would do), in its own words."""
        raise NotImplementedError
