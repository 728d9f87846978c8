"""The language a name is written in, marked where it differs from the page's.

A screen reader reads a page in the page's language (``<html lang>``): a Chinese company name
on an English page is spelled out letter by letter or skipped, an English name on a Chinese page
is read with Chinese phonetics. WCAG 2.1 SC 3.1.2 (Language of Parts) asks for such a part to
carry its own ``lang``. Names (clients, people, sites) are the mixed-language text of certbody's
pages: ``mark_language`` wraps one in ``<span lang="...">`` when its script is not the page's.
The template filter ``lang`` (workspace/templatetags/workspace.py, and the public pages' Jinja2
environment, infra/jinja2.py) calls it with the language of the request.
"""

import re

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

# CJK Unified Ideographs, extension A, the compatibility block, CJK punctuation, fullwidth forms
# and the supplementary ideograph planes (extensions B to F): text with any of them is Chinese.
_CJK = re.compile(
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]"
)
# Latin letters (with accents): text with letters and no CJK is written in a Latin script.
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

CHINESE = "zh-Hans"
ENGLISH = "en"


def text_language(text) -> str | None:
    """ "zh-Hans" for text with Chinese characters, "en" for Latin letters only, None for
    text without letters (numbers, dashes), which reads the same in any language."""
    text = str(text or "")
    if _CJK.search(text):
        return CHINESE
    if _LATIN.search(text):
        return ENGLISH
    return None


def _same(language: str, page_language: str | None) -> bool:
    """Is ``language`` the page's? Compared by primary subtag (zh-hans and zh-Hans are zh)."""
    primary = (page_language or ENGLISH).split("-")[0].lower()
    return language.split("-")[0].lower() == primary


def mark_language(text, page_language: str | None) -> SafeString:
    """``text`` escaped, in ``<span lang="...">`` when it is written in another script than the
    page's language: 杭州云帆 on an English page becomes ``<span lang="zh-Hans">杭州云帆</span>``,
    Anna Schmidt on a Chinese page ``<span lang="en">Anna Schmidt</span>``."""
    if text is None or text == "":
        return SafeString("")
    language = text_language(text)
    if language is None or _same(language, page_language):
        return conditional_escape(text)
    return format_html('<span lang="{}">{}</span>', language, text)


# A run of Chinese text (ideographs and CJK punctuation), and a run of Latin words (letters,
# digits and the punctuation inside names such as "ISO/IEC 27001:2022" or "Co., Ltd.").
_CJK_RUN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]*"
)
_LATIN_RUN = re.compile(
    r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f0-9 .,&'\u2019/:()+-]*[A-Za-z0-9.)]|[A-Za-z]"
)


def mark_language_parts(text, page_language: str | None) -> SafeString:
    """``text`` escaped, each part written in another script than the page's language in its
    own ``<span lang="...">``: for sentences that name a client or a person inside them (history
    notes, "Surveillance 2026-05-10 - 杭州云帆 - ISO/IEC 20000-1:2018")."""
    if text is None or text == "":
        return SafeString("")
    text = str(text)
    chinese_page = _same(CHINESE, page_language)
    run, language = (_LATIN_RUN, ENGLISH) if chinese_page else (_CJK_RUN, CHINESE)
    parts, end = [], 0
    for match in run.finditer(text):
        parts.append(conditional_escape(text[end : match.start()]))
        parts.append(format_html('<span lang="{}">{}</span>', language, match.group()))
        end = match.end()
    parts.append(conditional_escape(text[end:]))
    return SafeString("".join(parts))
