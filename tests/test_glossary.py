# ruff: noqa: RUF001 (full-width punctuation is what Chinese text is written with)
"""One word per concept (issue 18, item 3): docs/glossary.toml fixes the Simplified Chinese term
of each certification concept; the zh_Hans catalogue and the Chinese labels hard-coded in the
certificate PDF use only those terms.

The checker is plain functions over a parsed glossary and catalogue entries, so the negative
tests run the very same code on synthetic catalogues with a planted bad entry."""

from __future__ import annotations

import ast
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.toml"
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PDF_SOURCE = ROOT / "certificates" / "pdf.py"

_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


@dataclass(frozen=True)
class Concept:
    id: str
    english: tuple[str, ...]
    chosen: str
    also: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    exceptions: frozenset[str] = frozenset()
    msgctxt: str | None = None

    def patterns(self) -> list[re.Pattern]:
        """Each English phrase as a case-insensitive whole-word pattern."""
        return [
            re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE)
            for phrase in self.english
        ]

    def names_concept(self, msgid: str, msgctxt: str | None) -> bool:
        if msgid in self.exceptions:
            return False
        if self.msgctxt is not None and msgctxt == self.msgctxt:
            return True
        words = _PLACEHOLDER.sub(" ", msgid)  # "%(certification)s" is a value, not the word
        return any(p.search(words) for p in self.patterns())

    def uses_chosen(self, msgstr: str) -> bool:
        return any(term in msgstr for term in (self.chosen, *self.also))


class GlossaryError(ValueError):
    pass


def load_glossary(path: Path = GLOSSARY) -> list[Concept]:
    """The concepts of a glossary file; a malformed entry is refused naming it."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    concepts = []
    for n, raw in enumerate(data.get("concept", []), start=1):
        name = raw.get("id", f"concept #{n}")
        for key in ("id", "english", "chosen"):
            if not raw.get(key):
                raise GlossaryError(f"{path.name}: {name}: “{key}” is missing or empty")
        concepts.append(
            Concept(
                id=raw["id"],
                english=tuple(raw["english"]),
                chosen=raw["chosen"],
                also=tuple(raw.get("also", ())),
                forbidden=tuple(raw.get("forbidden", ())),
                exceptions=frozenset(raw.get("except", ())),
                msgctxt=raw.get("msgctxt"),
            )
        )
    return concepts


def translations(entry: polib.POEntry) -> list[str]:
    """Every translated form of an entry (both plural forms), empty ones left out."""
    if entry.msgid_plural:
        return [s for s in entry.msgstr_plural.values() if s]
    return [entry.msgstr] if entry.msgstr else []


def catalogue_problems(concepts: list[Concept], catalogue: polib.POFile) -> list[str]:
    """Why the catalogue does not keep to the glossary: one line per entry and concept.
    Untranslated entries are test_translations.py's concern, fuzzy ones are not used."""
    problems = []
    for entry in catalogue:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        for text in translations(entry):
            for concept in concepts:
                for variant in concept.forbidden:
                    if variant in text:
                        problems.append(
                            f"{entry.msgid!r} -> {text!r}: “{variant}” is a forbidden "
                            f"variant of {concept.id} (use “{concept.chosen}”)"
                        )
                if concept.names_concept(entry.msgid, entry.msgctxt) and not concept.uses_chosen(
                    text
                ):
                    problems.append(
                        f"{entry.msgid!r} -> {text!r}: names {concept.id} but does not say "
                        f"“{concept.chosen}”"
                    )
    return problems


def chinese_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal with Chinese in a Python source (f-strings'
    literal parts too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and _CJK.search(node.value):
            found.append((node.lineno, node.col_offset, node.value))
    return [(line, text) for line, _col, text in sorted(found)]


def text_problems(concepts: list[Concept], texts: list[tuple[str, str]]) -> list[str]:
    """Forbidden variants in hard-coded texts: (where, text) pairs."""
    return [
        f"{where}: {text!r}: “{variant}” is a forbidden variant of {concept.id} "
        f"(use “{concept.chosen}”)"
        for where, text in texts
        for concept in concepts
        for variant in concept.forbidden
        if variant in text
    ]


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


# -- the real glossary, catalogue and PDF --------------------------------------------------------
def test_the_glossary_names_each_concept_once():
    concepts = load_glossary()
    ids = [c.id for c in concepts]
    assert len(ids) == len(set(ids)), "a concept is listed twice"
    for expected in (
        "superseded",
        "correction-plan",
        "effective-date",
        "short-notice-audit",
        "certification",
        "withdrawn",
        "cancelled",
        "china",
    ):
        assert expected in ids, f"{expected} missing from {GLOSSARY.name}"
    by_id = {c.id: c for c in concepts}
    assert by_id["superseded"].chosen == "换发新证"
    assert by_id["cancelled"].chosen == "注销" and by_id["withdrawn"].chosen == "撤销"
    for concept in concepts:
        # A chosen term that is also forbidden would make every translation wrong.
        assert not any(v in concept.chosen for v in concept.forbidden), concept.id


def test_the_catalogue_uses_the_glossary_terms():
    problems = catalogue_problems(load_glossary(), polib.pofile(str(CATALOGUE)))
    assert not problems, _report(problems)


def test_the_certificate_pdf_labels_use_the_glossary_terms():
    texts = [
        (f"certificates/pdf.py:{line}", text)
        for line, text in chinese_literals(PDF_SOURCE.read_text(encoding="utf-8"))
    ]
    assert texts, "certificates/pdf.py has no Chinese labels: is this the right file?"
    problems = text_problems(load_glossary(), texts)
    assert not problems, _report(problems)


def test_the_certificate_list_headers_and_statuses_use_the_glossary_terms():
    """The Chinese headers and statuses the certificate list export writes (and the import
    names in its messages); the aliases the import also reads may be older variants."""
    from certificates.imports.certificate_columns import CERTIFICATE_COLUMNS
    from certificates.imports.certificate_export import CANCELLED_LABELS, STATUS_LABELS

    texts = [(f"column {name}", c.label_zh) for name, c in CERTIFICATE_COLUMNS.items()]
    texts += [(f"status {s}", zh) for s, (zh, _en) in STATUS_LABELS.items()]
    texts.append(("status cancelled", CANCELLED_LABELS[0]))
    problems = text_problems(load_glossary(), texts)
    assert not problems, _report(problems)
    assert CERTIFICATE_COLUMNS["issue_date"].label_zh == "颁证日期"
    assert CANCELLED_LABELS[0] == "注销"


def test_the_public_status_words_are_the_chosen_ones():
    from django.utils import translation

    from certificates import public_status as ps

    with translation.override("zh-hans"):
        assert str(ps.SUPERSEDED_LABEL) == "已换发新证"
        assert str(ps.label(ps.CANCELLED)) == "已注销"
        assert "撤销" in str(ps.label(ps.WITHDRAWN))


# -- the checker fails on a planted bad entry ----------------------------------------------------
def _catalogue(tmp_path, entries) -> polib.POFile:
    """A synthetic catalogue written to disk and read back, as the real one is."""
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "zh_Hans"}
    for msgctxt, msgid, msgstr in entries:
        po.append(polib.POEntry(msgctxt=msgctxt, msgid=msgid, msgstr=msgstr))
    path = tmp_path / "django.po"
    po.save(str(path))
    return polib.pofile(str(path))


GOOD = [
    (None, "Superseded", "已换发新证"),
    (None, "Finding plan due", "不符合项纠正和纠正措施计划到期"),
    (None, "Effective date", "颁证日期"),
    (None, "Special / short-notice", "特殊审核 / 提前较短时间通知的审核"),
    (None, "certifications", "认证"),
    ("certificate status", "Cancelled", "已注销"),
    (None, "Cancelled", "已取消"),  # an audit's state: 取消 is right there
    (None, "Withdrawn", "撤销"),
]


def test_a_catalogue_that_keeps_to_the_glossary_passes(tmp_path):
    assert catalogue_problems(load_glossary(), _catalogue(tmp_path, GOOD)) == []


@pytest.mark.parametrize(
    ("msgctxt", "msgid", "msgstr", "concept", "why"),
    [
        (None, "Superseded", "已被替代", "superseded", "forbidden"),
        (None, "Version %(number)s has been superseded.", "版本 %(number)s 已被取代。",
         "superseded", "forbidden"),
        (None, "Finding plan due", "不符合项整改计划到期", "correction-plan", "forbidden"),
        (None, "Effective date", "生效日期", "effective-date", "forbidden"),
        (None, "Issue (effective) date", "颁发（生效）日期", "effective-date", "forbidden"),
        (None, "Special / short-notice", "特殊审核（短期通知）", "short-notice-audit", "forbidden"),
        (None, "certifications", "认证项目", "certification", "forbidden"),
        ("certificate status", "Cancelled", "已取消", "cancelled", "chosen"),
        (None, "Withdrawn", "注销", "withdrawn", "chosen"),
        (None, "Plans to accept", "待接受的计划", "correction-plan", "chosen"),
    ],
)  # fmt: skip
def test_a_planted_bad_entry_fails(tmp_path, msgctxt, msgid, msgstr, concept, why):
    catalogue = _catalogue(tmp_path, [*GOOD[1:], (msgctxt, msgid, msgstr)])
    problems = catalogue_problems(load_glossary(), catalogue)
    assert problems, f"{msgid!r} -> {msgstr!r} was not caught"
    assert any(msgid in p and concept in p for p in problems), problems
    if why == "forbidden":
        assert any("forbidden" in p for p in problems), problems
    else:
        assert any("does not say" in p for p in problems), problems


def test_a_planted_bad_entry_in_a_copy_of_the_real_catalogue_fails(tmp_path):
    copy = tmp_path / "django.po"
    shutil.copy(CATALOGUE, copy)
    catalogue = polib.pofile(str(copy))
    entry = catalogue.find("Superseded")
    assert entry is not None
    entry.msgstr = "已被替代"
    catalogue.save(str(copy))
    problems = catalogue_problems(load_glossary(), polib.pofile(str(copy)))
    assert any("'Superseded'" in p and "已被替代" in p for p in problems), problems


def test_a_forbidden_pdf_label_fails():
    source = 'HEADLINE = "已被取代 SUPERSEDED"\nLABEL = f"生效日期 {1}"\nOK = "颁证日期"\n'
    texts = [(f"pdf.py:{line}", text) for line, text in chinese_literals(source)]
    assert [t for _w, t in texts] == ["已被取代 SUPERSEDED", "生效日期 ", "颁证日期"]
    problems = text_problems(load_glossary(), texts)
    assert any("pdf.py:1" in p and "已被取代" in p for p in problems), problems
    assert any("pdf.py:2" in p and "生效日期" in p for p in problems), problems
    assert not any("pdf.py:3" in p for p in problems), problems


def test_a_malformed_glossary_entry_is_named(tmp_path):
    bad = tmp_path / "glossary.toml"
    bad.write_text('[[concept]]\nid = "superseded"\nenglish = ["superseded"]\n', encoding="utf-8")
    with pytest.raises(GlossaryError, match="superseded: “chosen” is missing"):
        load_glossary(bad)
