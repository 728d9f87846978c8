"""Which column of a file holds which field: headers as people write them.

Headers are matched on a key (:func:`header_key`): full-width characters made half-width,
case ignored, and everything but letters, digits and Chinese characters dropped, so
"Company Name", "company_name", "COMPANY-NAME" and "公司名称*" all match; a qualifier in
brackets, full-width or not, is tried without it when the header does not match as it is
("企业名称(全称)" is 企业名称). The canonical field name itself (e.g. ``legal_name``) is
accepted too. Headers that match nothing are reported, never silently dropped.

Each import declares its columns as a dict of :class:`Column` (clients/imports/columns.py,
certificates/imports/certificate_columns.py) and checks a file's headers against them with
:func:`check_headers`.
"""

import re
from dataclasses import dataclass, field

from .report import MSG_AMBIGUOUS_COLUMN, MSG_MISSING_COLUMN, RowError
from .values import normalise_text


@dataclass(frozen=True)
class Column:
    """One importable column: the headers written on export and those accepted on import."""

    label_zh: str  # the header written on export in Chinese, e.g. "企业名称"
    label_en: str  # ... in English, e.g. "Company name"
    aliases: tuple[str, ...] = ()  # other accepted headers (zh and en)
    required: bool = False

    def headers(self) -> tuple[str, ...]:
        """Every header accepted for this column."""
        return (self.label_zh, self.label_en, *self.aliases)


@dataclass
class ColumnMap:
    fields: dict[str, int]  # canonical field -> column index (0-based), in file order
    unknown: list[str]  # headers that matched nothing (in file order)
    missing: list[str]  # required canonical fields absent
    # canonical field -> every header in the file that matched it, when more than one did
    # (e.g. both 企业名称 and 公司名称); ``fields`` holds the first of them.
    ambiguous: dict[str, list[str]] = field(default_factory=dict)


_QUALIFIER = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")


def header_key(text) -> str:
    """The key headers are matched on: normalised (NFKC), case-folded, and only letters,
    digits and Chinese characters kept (spaces, "_", "-", "/", brackets, "*" ... dropped)."""
    return "".join(ch for ch in normalise_text(text).casefold() if ch.isalnum())


def header_index(columns: dict[str, Column]) -> dict[str, str]:
    """header key -> canonical field; a header claimed by two fields is a programming error."""
    index: dict[str, str] = {}
    for name, column in columns.items():
        for header in (name, *column.headers()):
            key = header_key(header)
            claimed = index.setdefault(key, name)
            if claimed != name:
                raise ValueError(f"header {header!r} is accepted for both {claimed} and {name}")
    return index


def map_headers(headers: list[str], columns: dict[str, Column]) -> ColumnMap:
    """Which column of the file holds which field of ``columns`` (see the module's docstring)."""
    index = header_index(columns)
    fields: dict[str, int] = {}
    unknown: list[str] = []
    seen: dict[str, list[str]] = {}
    for position, header in enumerate(headers):
        name = index.get(header_key(header))
        if name is None:
            name = index.get(header_key(_QUALIFIER.sub("", normalise_text(header))))
        if name is None:
            unknown.append(header)
            continue
        seen.setdefault(name, []).append(header)
        fields.setdefault(name, position)
    missing = [name for name, column in columns.items() if column.required and name not in fields]
    ambiguous = {name: found for name, found in seen.items() if len(found) > 1}
    return ColumnMap(fields=fields, unknown=unknown, missing=missing, ambiguous=ambiguous)


def check_headers(table, columns_def, report):
    """Map the file's headers to ``columns_def``; report unknown columns, two headers for one
    field and missing required ones (row 1). Returns the ColumnMap and the column label of
    each field as the file writes it (else our Chinese header), or None when the file cannot
    be imported."""
    columns = map_headers(table.headers, columns_def)
    report.unknown_columns = list(columns.unknown)
    for _name, headers in columns.ambiguous.items():
        report.add_error(
            RowError(1, "", "", str(MSG_AMBIGUOUS_COLUMN % {"headers": ", ".join(headers)}))
        )
    for name in columns.missing:
        col = columns_def[name]
        report.add_error(
            RowError(
                1,
                col.label_zh,
                "",
                str(MSG_MISSING_COLUMN % {"zh": col.label_zh, "en": col.label_en}),
            )
        )
    if report.error_count:
        return None
    labels = {name: col.label_zh for name, col in columns_def.items()}
    labels.update({name: table.headers[i] for name, i in columns.fields.items()})
    return columns, labels
