"""Simplified Chinese is complete and stays complete.

- Every entry of locale/zh_Hans/LC_MESSAGES/django.po is translated, none is fuzzy, and each
  translation keeps the placeholders of its source string.
- The .po is up to date with the source: makemessages, run on a copy of the sources, finds no
  string that the committed .po lacks (needs GNU gettext; under CI=true a skip is a failure).
- The compiled .mo matches the .po (compilemessages was run after the last edit).
- Under zh-hans, model labels, service messages and the admin changelist come out in Chinese.

When a test here fails, update the catalogue:

    .venv/bin/python manage.py makemessages -l zh_Hans -l en \
        --ignore=.venv --ignore=tests --ignore=bench --ignore=var
    (translate every new or fuzzy entry of locale/zh_Hans/LC_MESSAGES/django.po)
    .venv/bin/python manage.py compilemessages --ignore=.venv
"""

import gettext
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = ZH_PO.with_suffix(".mo")

# The directories the project's makemessages command ignores (see the module docstring).
IGNORED_DIRS = {".venv", "tests", "bench", "var"}
SOURCE_EXTENSIONS = {".py", ".html", ".txt"}  # makemessages' defaults for the django domain
GETTEXT_PROGRAMS = ("xgettext", "msguniq", "msgmerge", "msgattrib")

CJK = re.compile(r"[\u4e00-\u9fff]")
PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
BRACES = re.compile(r"\{[^{}]*\}")


# -- a small PO parser ----------------------------------------------------------------------------
@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def key(self):
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[n] for n in sorted(self.msgstr_plural)] or [""]

    @property
    def where(self) -> str:
        refs = " ".join(self.references)
        return f"{self.msgid!r}" + (f" ({refs})" if refs else "")


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a PO string: {text!r}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The entries of a PO file, the header (msgid "") first."""
    entries = []
    for block in re.split(r"\n[ \t]*\n", path.read_text(encoding="utf-8").strip()):
        entry, target = Entry(), None
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#~"):
                entry.obsolete = True
                continue
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            elif line.startswith("#:"):
                entry.references.extend(line[2:].split())
            elif line.startswith("#") or not line:
                continue
            elif line.startswith("msgctxt "):
                entry.msgctxt, target = _unquote(line[8:]), "msgctxt"
            elif line.startswith("msgid_plural "):
                entry.msgid_plural, target = _unquote(line[13:]), "msgid_plural"
            elif line.startswith("msgid "):
                entry.msgid, target = _unquote(line[6:]), "msgid"
            elif line.startswith("msgstr["):
                n = int(line[7 : line.index("]")])
                entry.msgstr_plural[n], target = _unquote(line[line.index("]") + 1 :]), n
            elif line.startswith("msgstr "):
                entry.msgstr, target = _unquote(line[7:]), "msgstr"
            elif line.startswith('"') and target is not None:
                if isinstance(target, int):
                    entry.msgstr_plural[target] += _unquote(line)
                else:
                    setattr(entry, target, getattr(entry, target) + _unquote(line))
            else:
                raise AssertionError(f"{path}: cannot parse line {raw!r}")
        if target is not None:
            entries.append(entry)
    return entries


def messages(path: Path) -> list[Entry]:
    """The live entries: no header, no obsolete (#~) entries."""
    return [e for e in parse_po(path) if e.msgid and not e.obsolete]


def placeholders(text: str) -> Counter:
    return Counter(PRINTF.findall(text)) + Counter(BRACES.findall(text))


@pytest.fixture(scope="module")
def zh_entries():
    assert ZH_PO.exists(), f"{ZH_PO} is missing: run makemessages -l zh_Hans"
    return messages(ZH_PO)


# -- (a) the committed catalogue is complete ------------------------------------------------------
def test_header_declares_simplified_chinese_with_one_plural_form():
    header = parse_po(ZH_PO)[0]
    assert header.msgid == "", "the first entry of the .po must be its header"
    assert "fuzzy" not in header.flags, "the header is marked fuzzy"
    assert "Language: zh_Hans\n" in header.msgstr
    assert "Content-Type: text/plain; charset=UTF-8\n" in header.msgstr
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header.msgstr


def test_catalogue_is_not_empty(zh_entries):
    assert len(zh_entries) > 100, "the zh_Hans catalogue has lost most of its strings"


def test_every_entry_is_translated(zh_entries):
    missing = [e.where for e in zh_entries if not all(t.strip() for t in e.translations)]
    assert not missing, f"{len(missing)} untranslated zh_Hans string(s):\n" + "\n".join(missing)


def test_no_entry_is_fuzzy(zh_entries):
    fuzzy = [e.where for e in zh_entries if "fuzzy" in e.flags]
    assert not fuzzy, (
        f"{len(fuzzy)} fuzzy zh_Hans string(s) (check the translation, then drop the flag):\n"
        + "\n".join(fuzzy)
    )


def test_plural_entries_have_exactly_one_form(zh_entries):
    plurals = [e for e in zh_entries if e.msgid_plural is not None]
    wrong = [e.where for e in plurals if len(e.msgstr_plural) != 1]
    assert not wrong, "Chinese has one plural form (msgstr[0] only):\n" + "\n".join(wrong)


def test_placeholders_are_kept(zh_entries):
    wrong = []
    for e in zh_entries:
        # With one plural form, msgstr[0] stands for every count, like msgid_plural.
        source = e.msgid if e.msgid_plural is None else e.msgid_plural
        for text in e.translations:
            if text and placeholders(text) != placeholders(source):
                wrong.append(
                    f"{e.where}: {sorted(placeholders(source).elements())} in the source, "
                    f"{sorted(placeholders(text).elements())} in {text!r}"
                )
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_placeholder_pattern_catches_differences():
    assert placeholders("%(day)s, %(n)d of {} {name}") == placeholders("{name}{}%(n)d%(day)s")
    assert placeholders("%(day)s") != placeholders("%(date)s")
    assert placeholders("%(n)d") != placeholders("%(n)s")
    assert placeholders("100%") == placeholders("百分之百")


def test_compiled_catalogue_matches_the_po(zh_entries):
    assert ZH_MO.exists(), f"{ZH_MO} is missing: run compilemessages"
    with ZH_MO.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    stale = []
    for e in zh_entries:
        if e.msgid_plural is not None and e.msgctxt is not None:
            got = compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
        elif e.msgid_plural is not None:
            got = compiled.ngettext(e.msgid, e.msgid_plural, 1)
        elif e.msgctxt is not None:
            got = compiled.pgettext(e.msgctxt, e.msgid)
        else:
            got = compiled.gettext(e.msgid)
        if got != e.translations[0]:
            stale.append(f"{e.where}: .mo has {got!r}")
    assert not stale, "django.mo is out of date, run compilemessages:\n" + "\n".join(stale)


# -- (b) the committed catalogue is up to date with the source ------------------------------------
def _copy_sources(src: Path, dst: Path) -> int:
    """Copy the files makemessages reads (same ignores as the project's command)."""
    copied = 0
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [
            d
            for d in dirnames
            if d not in IGNORED_DIRS
            and d not in ("locale", "__pycache__", "node_modules")
            and not d.startswith(".")
        ]
        for name in filenames:
            if Path(name).suffix in SOURCE_EXTENSIONS and not name.startswith("."):
                source = Path(dirpath) / name
                target = dst / source.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                copied += 1
    return copied


def test_po_has_every_string_of_the_source(tmp_path, monkeypatch, zh_entries):
    missing_programs = [p for p in GETTEXT_PROGRAMS if shutil.which(p) is None]
    if missing_programs:
        pytest.skip(f"GNU gettext is not installed ({', '.join(missing_programs)} missing)")
    tree = tmp_path / "src"
    assert _copy_sources(Path(settings.BASE_DIR), tree) > 0
    fresh_locale = tree / "locale"
    fresh_locale.mkdir()
    monkeypatch.chdir(tree)
    # LOCALE_PATHS points at the copy, so nothing is written to (or removed from) the real
    # locale/ directory, even if someone runs makemessages there at the same time.
    with override_settings(LOCALE_PATHS=[str(fresh_locale)]):
        call_command(
            "makemessages",
            locale=["zh_Hans"],
            ignore_patterns=sorted(IGNORED_DIRS),
            verbosity=0,
        )
    fresh_po = fresh_locale / "zh_Hans" / "LC_MESSAGES" / "django.po"
    assert fresh_po.exists(), "makemessages wrote no catalogue"
    source = messages(fresh_po)
    assert len(source) > 100, "makemessages found almost no strings: is the copy complete?"
    done = {e.key for e in zh_entries if "fuzzy" not in e.flags and all(t for t in e.translations)}
    missing = [e.where for e in source if e.key not in done]
    assert not missing, (
        f"{len(missing)} string(s) of the source have no zh_Hans translation in {ZH_PO} "
        "(run makemessages, translate, compilemessages):\n" + "\n".join(missing)
    )


# -- (c) the application speaks Chinese under zh-hans ---------------------------------------------
def test_state_labels_in_chinese():
    from certificates.models import State

    with translation.override("zh-hans"):
        labels = {s: str(s.label) for s in State}
        assert labels[State.ACTIVE] == "有效"
        assert labels[State.SUSPENDED] == "暂停"
        assert labels[State.WITHDRAWN] == "撤销"
        assert labels[State.EXPIRED] == "过期"
        assert labels[State.STAGE1] == "第一阶段审核"
        assert labels[State.STAGE2] == "第二阶段审核"
        untranslated = [label for label in labels.values() if not CJK.search(label)]
        assert not untranslated, f"State labels not in Chinese: {untranslated}"
    with translation.override("en"):
        assert str(State.SUSPENDED.label) == "Suspended"


def test_service_error_in_chinese():
    from certificates import services as svc

    with translation.override("zh-hans"), pytest.raises(svc.CertificationError) as err:
        svc.application_submit(client=None, standards=[], by=None)
    assert err.value.messages == ["请至少选择一个认证标准。"]


@pytest.mark.django_db
def test_service_message_with_state_in_chinese(people):
    from certificates import services as svc
    from tests import lifecycle as lc

    cert = lc.apply(people)
    with translation.override("zh-hans"):
        problems = svc.application_open_problems(client=cert.client, standards=[cert.standard])
    assert len(problems) == 1
    assert "已有进行中的" in problems[0]
    assert "“已申请”" in problems[0]


@pytest.mark.django_db
def test_admin_changelist_in_chinese(admin_client, people):
    from tests import lifecycle as lc

    lc.apply(people)
    with translation.override("zh-hans"):
        url = reverse("admin:certificates_certification_changelist")
    assert url.startswith("/zh-hans/")
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    page = response.content.decode()
    for label in (
        "认证",  # verbose_name_plural (never 认证项目: docs/glossary.toml)
        "客户",  # list_display columns
        "认证标准",
        "状态",
        "城市",
        "截止日期",  # the due-date filter and its choices
        "监督审核已逾期",
        "暂停期限已过",
        "已申请",  # the state of the row
        "选择 认证 来修改",  # Django's own catalogue, with ours inside
    ):
        assert label in page, f"{label!r} missing from the zh-hans changelist"
    assert "认证项目" not in page
    for english in ("Surveillance overdue", "due dates", "Applied"):
        assert english not in page, f"{english!r} left in English on the zh-hans changelist"
