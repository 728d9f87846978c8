"""The application intake page's checklist: per standard applied for, that standard's own
required documents (RequiredDocument of the standard, titles in the active language), each
with what was received, and the intake conditions still missing (Application.intake_problems).

Three queries whatever the number of standards and documents: the standards, their required
documents, the application's documents (and the client's penalties once per standard, for the
conditions).
"""

import posixpath
import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Prefetch

from ..models import Application, ApplicationDocument, RequiredDocument, Standard


@dataclass
class ChecklistRow:
    required: RequiredDocument
    document: ApplicationDocument | None

    @property
    def received(self) -> bool:
        return bool(self.document and self.document.received_on)


@dataclass
class StandardChecklist:
    standard: Standard
    rows: list[ChecklistRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def received_count(self) -> int:
        return sum(1 for r in self.rows if r.received)

    @property
    def missing(self) -> list[ChecklistRow]:
        return [r for r in self.rows if not r.received]


def application_with_checklist(queryset, pk):
    """The application ``pk`` of ``queryset`` with what the intake page reads prefetched."""
    return (
        queryset.select_related("client")
        .prefetch_related(
            Prefetch(
                "standards",
                queryset=Standard.objects.prefetch_related(
                    Prefetch(
                        "required_documents",
                        queryset=RequiredDocument.objects.order_by("position", "pk"),
                    )
                ).order_by("code", "-edition"),
            ),
            Prefetch(
                "documents",
                queryset=ApplicationDocument.objects.select_related("required_document"),
            ),
            "sites",
        )
        .get(pk=pk)
    )


def intake_checklists(application: Application, *, standards=None) -> list[StandardChecklist]:
    """One checklist per standard of ``application`` (loaded by application_with_checklist),
    only those whose id is in ``standards`` when given (what the user may see)."""
    by_required = {d.required_document_id: d for d in application.documents.all()}
    lists = []
    for standard in application.standards.all():
        if standards is not None and standard.pk not in standards:
            continue
        rows = [
            ChecklistRow(required=r, document=by_required.get(r.pk))
            for r in standard.required_documents.all()
        ]
        lists.append(
            StandardChecklist(
                standard=standard,
                rows=rows,
                problems=application.intake_problems(standard=standard),
            )
        )
    return lists


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.sub(r"[_\-.,()\[\]【】]+", " ", text).split())


def match_files(files, rows: list[ChecklistRow]) -> tuple[dict, list]:
    """Match uploaded ``files`` (anything with a ``name``) to checklist ``rows`` by their file
    names: a name holding a document's title (English or Chinese; the longest title wins), else
    one starting with the document's number on the checklist ("03 ..." or "3_..."). Returns
    ({RequiredDocument pk: file}, [files not matched, or a second file for one document])."""
    keys = []
    for number, row in enumerate(rows, start=1):
        for title in {row.required.title, row.required.title_zh}:
            if _plain(title):
                keys.append((len(_plain(title)), _plain(title), row.required.pk))
        keys.append((0, number, row.required.pk))
    keys.sort(key=lambda k: -k[0])
    matched, unmatched = {}, []
    for upload in files:
        stem = _plain(posixpath.splitext(posixpath.basename(upload.name or ""))[0])
        number = re.match(r"0*(\d+)(?:\D|$)", stem)
        pk = next(
            (
                pk
                for size, key, pk in keys
                if (size and key in stem) or (not size and number and int(number[1]) == key)
            ),
            None,
        )
        if pk is None or pk in matched:
            unmatched.append(upload)
        else:
            matched[pk] = upload
    return matched, unmatched
