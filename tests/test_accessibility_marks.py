"""The accessibility fixes of issue 18 (item 4) that axe-core cannot see, checked without a browser
(tests/test_axe.py runs axe-core itself on every page):

- names in another script than the page's carry their own lang (WCAG 2.1 SC 3.1.2), through the
  ``lang`` and ``lang_parts`` filters (core/languages.py), on Django and Jinja2 pages;
- the auditor's calendar marks today with a label and aria-current, not an outline alone;
- every stylesheet draws its own focus ring (SC 2.4.7) instead of the browser's default;
- the 404 and 403 pages say the language they are written in.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.urls import reverse
from django.utils import translation

from core.languages import mark_language, mark_language_parts, text_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("杭州云帆数据服务有限公司", "zh-Hans"),
        ("Hangzhou Yunfan Data Services Co., Ltd.", "en"),
        ("王建华", "zh-Hans"),
        ("Anna Schmidt", "en"),
        ("Zoë Müller", "en"),
        ("𠀋記", "zh-Hans"),  # an ideograph outside the basic plane (extension B)
        ("2026-12-07", None),
        ("", None),
    ],
)
def test_the_language_of_a_text_is_read_from_its_script(text, language):
    assert text_language(text) == language


def test_a_name_is_marked_only_where_its_script_is_not_the_pages():
    assert mark_language("杭州云帆", "en") == '<span lang="zh-Hans">杭州云帆</span>'
    assert mark_language("杭州云帆", "zh-hans") == "杭州云帆"
    assert mark_language("Anna Schmidt", "zh-hans") == '<span lang="en">Anna Schmidt</span>'
    assert mark_language("Anna Schmidt", "en") == "Anna Schmidt"
    assert mark_language("12345", "zh-hans") == "12345"
    assert mark_language(None, "en") == ""


def test_a_name_is_escaped():
    assert (
        mark_language("<b>杭州</b>", "en") == '<span lang="zh-Hans">&lt;b&gt;杭州&lt;/b&gt;</span>'
    )
    assert mark_language("A & B <i>", "en") == "A &amp; B &lt;i&gt;"


def test_the_parts_of_a_sentence_in_another_script_are_marked():
    note = "Surveillance 2026-05-10 - 武汉金科系统集成有限公司 - ISO/IEC 20000-1:2018: Active"
    assert mark_language_parts(note, "en") == (
        'Surveillance 2026-05-10 - <span lang="zh-Hans">武汉金科系统集成有限公司</span>'
        " - ISO/IEC 20000-1:2018: Active"
    )
    assert mark_language_parts("暂停 Temasek Pte. Ltd. 未整改", "zh-hans") == (
        '暂停 <span lang="en">Temasek Pte. Ltd.</span> 未整改'
    )
    assert mark_language_parts("<杭州>", "en") == '&lt;<span lang="zh-Hans">杭州</span>&gt;'


def test_the_filters_mark_names_in_django_and_jinja2_templates():
    django_template = engines["django"].from_string("{% load workspace %}{{ name|lang }}")
    jinja_template = engines["jinja2"].from_string("{{ name|lang }}")
    for template in (django_template, jinja_template):
        with translation.override("en"):
            assert template.render({"name": "杭州云帆"}) == '<span lang="zh-Hans">杭州云帆</span>'
        with translation.override("zh-hans"):
            assert template.render({"name": "杭州云帆"}) == "杭州云帆"
            assert template.render({"name": "Anna"}) == '<span lang="en">Anna</span>'


def test_the_public_certificate_page_marks_the_chinese_name(client, people):
    from tests import lifecycle as lc
    from tests.factories import ClientFactory

    holder = ClientFactory(
        legal_name="杭州云帆数据服务有限公司", english_name="Yunfan Data Co., Ltd."
    )
    certificate = lc.certified(people, client=holder).certificates.get()
    url = reverse("public:certificate", args=[certificate.full_number])
    html = client.get(url).content.decode()
    assert '<span lang="zh-Hans">杭州云帆数据服务有限公司</span>' in html
    with translation.override("zh-hans"):
        url = reverse("public:certificate", args=[certificate.full_number])
    html = client.get(url).content.decode()
    assert '<html lang="zh-hans">' in html
    assert '<span lang="en">Yunfan Data Co., Ltd.</span>' in html


def test_the_calendar_marks_today_by_a_label_and_aria_current(client, monkeypatch, auditor):
    day = datetime.date(2025, 3, 5)
    monkeypatch.setattr("audits.views.local_today", lambda: day)
    client.force_login(auditor)
    html = client.get(reverse("audits:calendar")).content.decode()
    (cell,) = re.findall(r'<td class="[^"]*today"[^>]*>.*?</td>', html, re.S)
    assert 'aria-current="date"' in cell
    assert re.search(r"<div>5 <strong[^>]*>Today</strong></div>", cell)
    with translation.override("zh-hans"):
        url = reverse("audits:calendar")
    assert "今天" in client.get(url).content.decode() or not _translated("Today")


def _translated(msgid: str) -> bool:
    with translation.override("zh-hans"):
        return translation.gettext(msgid) != msgid


STYLESHEETS = [
    "workspace/static/workspace/workspace.css",
    "workspace/static/workspace/admin.css",
    "templates/jinja2/public/base.html",
    "templates/error_base.html",  # 403.html and 404.html
]


@pytest.mark.parametrize("path", STYLESHEETS)
def test_every_stylesheet_draws_its_own_focus_ring(path):
    css = (Path(settings.BASE_DIR) / path).read_text()
    rules = re.findall(r"([^{}]*:focus-visible[^{}]*)\{([^}]*)\}", css)
    assert rules, f"{path} has no :focus-visible rule: the browser's default ring is used"
    assert any(re.search(r"outline\s*:\s*\d+px solid", body) for _s, body in rules), path


def test_the_error_pages_say_their_language(client, staff):
    assert '<html lang="en">' in client.get("/no-such-page/").content.decode()
    assert '<html lang="zh-hans">' in client.get("/zh-hans/no-such-page/").content.decode()
    from tests.factories import UserFactory

    nobody = UserFactory(username="nobody")
    client.force_login(nobody)
    response = client.get("/zh-hans/work/")
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in response.content.decode()
