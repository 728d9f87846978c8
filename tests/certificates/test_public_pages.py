# ruff: noqa: RUF001 (full-width characters are what these tests type)
"""The public verification pages and JSON API (certificates/public.py): lookup by number,
search by name, what appears and what never does, languages, abuse."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from certificates.models import State
from certificates.selectors_public import MAX_RESULTS, query_grams
from clients.models import Client
from tests import lifecycle as lc
from tests.factories import ClientFactory

from .test_public_support import _fresh_rate_limit, granted, newest  # noqa: F401

pytestmark = pytest.mark.django_db

SEARCH = "/verify/"


def page(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, (url, params, response.status_code)
    return response.content.decode()


def numbers_on(html):
    """Certificate numbers shown in the page's results (after the search form)."""
    return re.findall(r"CB-[A-Z]+-\d{6}-V\d+", html.split("</form>", 1)[-1])


@pytest.fixture
def huawei(db):
    return granted(
        legal_name="深圳华为技术有限公司",
        english_name="Huawei Technologies Co., Ltd.",
        versions=2,
    )


# -- by number ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed, version",
    [
        ("{n}", 2),
        ("{n}-V2", 2),
        ("{n}-V1", 1),
        ("{lower}-v1", 1),
        ("{spaced}", 2),
        ("{spaced} v 1", 1),
        ("{fullwidth}", 2),
        ("{fullwidth}－Ｖ１", 1),
    ],
)
def test_number_lookup_tolerates_case_spacing_dashes_and_fullwidth(client, huawei, typed, version):
    n = huawei.certificate_number  # CB-ITSM-000001
    text = typed.format(
        n=n,
        lower=n.lower(),
        spaced=n.replace("-", " "),
        fullwidth="".join(chr(ord(ch) + 0xFEE0) for ch in n),
    )
    html = page(client, reverse("public:certificate", kwargs={"number": text}))
    assert f"<h1>Certificate {n}-V{version}</h1>" in html
    data = client.get(reverse("public_api:certificate", kwargs={"number": text})).json()
    assert data["number"] == f"{n}-V{version}"
    assert data["superseded"] is (version == 1)


def test_superseded_version_links_the_newest(client, huawei):
    n = huawei.certificate_number
    html = page(client, reverse("public:certificate", kwargs={"number": f"{n}-V1"}))
    assert f"Version {n}-V1 has been superseded." in html
    assert f'href="/verify/{n}-V2/"' in html
    assert "Superseded" in html
    data = client.get(reverse("public_api:certificate", kwargs={"number": f"{n}-V1"})).json()
    assert (data["status"], data["newest_number"]) == (None, f"{n}-V2")
    newest_page = page(client, reverse("public:certificate", kwargs={"number": f"{n}-V2"}))
    assert "superseded" not in newest_page.split("<main>")[1].lower().replace(
        'class="status superseded"', ""
    )


@pytest.mark.parametrize("typed", ["{n}-V9", "CB-ITSM-999999", "CB", "-", "V1"])
def test_unknown_numbers_are_404(client, huawei, typed):
    text = typed.format(n=huawei.certificate_number)
    html = page(client, reverse("public:certificate", kwargs={"number": text}), status=404)
    assert "Certificate not found" in html
    response = client.get(reverse("public_api:certificate", kwargs={"number": text}))
    assert response.status_code == 404
    assert response.json()["error"].startswith("No certificate has the number")


def test_search_by_number_shows_the_newest_version_once(client, huawei):
    n = huawei.certificate_number
    for typed in (n, f"{n}-V1", n.lower().replace("-", " ")):
        html = page(client, SEARCH, {"q": typed})
        assert set(numbers_on(html)) == {f"{n}-V2"}, typed
        assert html.count('<section class="card">') == 1


def test_api_fields_are_exactly_the_public_ones(client, huawei):
    n = huawei.certificate_number
    data = client.get(reverse("public_api:certificate", kwargs={"number": n})).json()
    assert data == {
        "number": f"{n}-V2",
        "client": {
            "name": "深圳华为技术有限公司",
            "english_name": "Huawei Technologies Co., Ltd.",
            "city": "北京",
            "country": "CN",
        },
        "standard": "ISO/IEC 20000-1:2018",
        "scope": "信息技术运维服务 / IT operation and maintenance services (v2)",
        "status": "Active",
        "status_explanation": (
            "The certificate is valid: the organisation is certified for the scope shown."
        ),
        "superseded": False,
        "effective_date": "2025-02-14",
        "expiry_date": "2028-01-14",
        "original_certification_date": "2025-01-15",
        "url": f"/verify/{n}-V2/",
    }


@pytest.mark.parametrize(
    "state, word",
    [
        (State.ACTIVE, "Active"),
        (State.SUSPENDED, "Suspended"),
        (State.WITHDRAWN, "Withdrawn"),
        (State.EXPIRED, "Expired"),
    ],
)
def test_status_in_iaf_words_with_explanation(client, state, word):
    cert = granted(state=state)
    html = page(client, reverse("public:certificate", kwargs={"number": cert.certificate_number}))
    assert f'class="status {state}">{word}</span>' in html
    api = client.get(reverse("public_api:certificate", kwargs={"number": cert.certificate_number}))
    assert api.json()["status"] == word
    assert api.json()["status_explanation"]


# -- by name -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "q", ["华为", "为技术", "HUAWEI", "huawei tech", "ｈｕａｗｅｉ", " Technologies  Co"]
)
def test_name_search_partial_chinese_or_english_case_insensitive(client, huawei, q):
    other = granted(legal_name="杭州阿里云计算有限公司", english_name="Alibaba Cloud Co., Ltd.")
    html = page(client, SEARCH, {"q": q})
    assert set(numbers_on(html)) == {f"{huawei.certificate_number}-V2"}
    assert other.certificate_number not in html.split("</form>", 1)[-1]
    data = client.get(reverse("public_api:search"), {"q": q}).json()
    assert [r["number"] for r in data["results"]] == [f"{huawei.certificate_number}-V2"]
    assert (data["count"], data["more"]) == (1, False)


def test_restricted_listing_hidden_from_name_search_but_its_number_verifies(client):
    cert = granted(legal_name="保密客户有限公司", english_name="Private Client Ltd.")
    Client.objects.filter(pk=cert.client_id).update(restricted_listing=True)
    html = page(client, SEARCH, {"q": "保密客户"})
    assert "Nothing found for “保密客户”." in html and numbers_on(html) == []
    assert client.get(reverse("public_api:search"), {"q": "Private"}).json()["count"] == 0
    n = cert.certificate_number
    assert f"{n}-V1" in page(client, SEARCH, {"q": n})
    assert f"{n}-V1" in page(client, reverse("public:certificate", kwargs={"number": n}))
    assert client.get(reverse("public_api:search"), {"q": n}).json()["count"] == 1


def test_applications_drafts_and_refusals_never_appear(client, people):
    # One state with audits (the auditors are busy on those dates), the others before any.
    for state in (State.APPLIED, State.UNDER_REVIEW, State.ACCEPTED, State.REFUSED):
        lc.build(people, state)
    html = page(client, SEARCH, {"q": "北京示例"})
    assert "Nothing found for “北京示例”." in html
    assert numbers_on(html) == []
    assert client.get(reverse("public_api:search"), {"q": "Beijing Example"}).json()["count"] == 0


def test_one_result_per_certification_with_its_newest_version(client):
    c = ClientFactory(legal_name="上海多证科技有限公司", english_name="Multi Cert Tech")
    itsm = granted(client=c, versions=3)
    qms = granted(client=c, code="ISO 9001", versions=1)
    html = page(client, SEARCH, {"q": "多证"})
    assert sorted(set(numbers_on(html))) == sorted(
        [f"{itsm.certificate_number}-V3", f"{qms.certificate_number}-V1"]
    )


def test_more_than_twenty_results_asks_to_refine(client):
    assert MAX_RESULTS == 20
    for _ in range(21):
        granted(legal_name="广州同名科技有限公司", english_name="Same Name Tech")
    html = page(client, SEARCH, {"q": "同名"})
    assert "More than 20 results: refine your search." in html
    assert html.count('<section class="card">') == 20
    data = client.get(reverse("public_api:search"), {"q": "same name"}).json()
    assert (data["count"], data["more"]) == (20, True)


def test_exactly_twenty_results_do_not_ask_to_refine(client):
    for _ in range(20):
        granted(legal_name="广州同名科技有限公司", english_name="Same Name Tech")
    html = page(client, SEARCH, {"q": "同名"})
    assert "refine your search" not in html
    assert html.count('<section class="card">') == 20


def test_query_grams_leave_out_partial_single_characters():
    """On PostgreSQL every client matching the text must hold these grams."""
    assert query_grams("华为") == ["华为"]
    assert query_grams("x abc") == ["ab", "bc"]  # "x" may be the end of a longer word
    assert query_grams("ab c de") == ["ab", "c", "de"]  # "c" is a whole word in between
    assert query_grams("technology") == ["te", "ch", "no", "lo", "gy"]  # non-overlapping
    assert len(query_grams("信息技术服务有限公司 information technology services")) == 6


def test_search_fields_follow_the_names(db):
    c = ClientFactory(legal_name="ＡＢＣ　华为  Ｔech", english_name="")
    assert c.search_text == "abc 华为 tech"
    assert c.search_grams.split() == ["ab", "bc", "华为", "te", "ec", "ch"]
    c.legal_name = "中"
    c.save(update_fields=["legal_name"])
    c.refresh_from_db()
    assert (c.search_text, c.search_grams) == ("中", "中")


# -- input checks ------------------------------------------------------------------------------
def test_too_long_query_is_refused_without_searching(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        html = page(client, SEARCH, {"q": "华" * 101})
    assert "Your search is too long: type at most 100 characters." in html
    with django_assert_num_queries(0):
        response = client.get(reverse("public_api:search"), {"q": "a" * 101})
    assert response.status_code == 400
    with django_assert_num_queries(0):
        response = client.get(reverse("public:certificate", kwargs={"number": "1" * 101}))
    assert response.status_code == 404


@pytest.mark.parametrize("q", ["a", " 华 ", "\x00", "-"])
def test_too_short_query_asks_for_more(client, q, django_assert_num_queries):
    with django_assert_num_queries(0):
        html = page(client, SEARCH, {"q": q})
    if q == "\x00":
        assert "Type a company name or a certificate number." in html
    else:
        assert "Type at least 2 characters" in html
    assert client.get(reverse("public_api:search"), {"q": q}).status_code == 400
    assert client.get(reverse("public_api:search")).status_code == 400


INJECTIONS = [
    "' OR 1=1 --",
    '" OR ""="',
    "'; DROP TABLE clients_client; --",
    "%",
    "%%",
    "_",
    "__",
    "\\",
    "\\%",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\x00",
    "ab\x00cd",
    "华为\x00' OR 1=1",
    "😀😀",
    "华为😀",
    "\u202eabc\u202c",
    "שלום עולם",
    "مرحبا",
    "x" * 100,
    "x" * 10000,
    "{{ request }}",
    "{% debug %}",
    "$(rm -rf /)",
    "CB-ITSM-%",
    "CB-ITSM-000001-V99999999999999999999",
]


@pytest.mark.parametrize("q", INJECTIONS)
def test_nothing_typed_breaks_the_page(client, huawei, q):
    granted(legal_name="100%_折扣\\有限公司", english_name="Percent_Sign Ltd")
    response = client.get(SEARCH, {"q": q})
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    if q.startswith("<script>"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # % and _ are literal characters, not wildcards: they only match the client that has them.
    if q in ("%", "%%", "_", "__", "\\", "\\%"):
        assert huawei.certificate_number not in html.split("</form>", 1)[-1]
    api = client.get(reverse("public_api:search"), {"q": q})
    assert api.status_code in (200, 400)
    api.json()
    for view in ("public:certificate", "public_api:certificate"):
        number = q.replace("/", "") or "x"
        response = client.get(reverse(view, kwargs={"number": number}), {"on": q})
        assert response.status_code in (200, 400, 404)
        if response["Content-Type"].startswith("text/html"):
            assert "<script>alert" not in response.content.decode()
        else:
            assert response["Content-Type"] == "application/json"
            response.json()


def test_percent_and_underscore_match_literally(client):
    literal = granted(legal_name="百分之100%_公司", english_name="")
    other = granted(legal_name="百分之1000公司", english_name="")
    html = page(client, SEARCH, {"q": "100%_"})
    assert literal.certificate_number in html
    assert other.certificate_number not in html.split("</form>", 1)[-1]


# -- languages, phone, no JavaScript -----------------------------------------------------------
def test_english_and_chinese_with_links_keeping_the_query(client, huawei):
    html = page(client, SEARCH, {"q": "华为"})
    assert '<html lang="en">' in html
    assert 'href="/zh-hans/verify/?q=%E5%8D%8E%E4%B8%BA"' in html
    zh = page(client, "/zh-hans/verify/", {"q": "华为"})
    assert '<html lang="zh-hans">' in zh
    assert 'href="/verify/?q=%E5%8D%8E%E4%B8%BA"' in zh
    assert 'href="/zh-hans/verify/CB-ITSM-' in zh  # result links stay in Chinese
    n = huawei.certificate_number
    cert_page = page(client, f"/zh-hans/verify/{n}/", {"on": "2025-03-01"})
    assert f'href="/verify/{n}/?on=2025-03-01"' in cert_page


def test_labels_follow_the_language_of_each_request(client, huawei):
    """The public templates remember translations per language (infra/jinja2.py): one
    process answering English, Chinese, then English again shows each in its own words."""
    n = huawei.certificate_number
    for _round in range(2):
        en = page(client, f"/verify/{n}/")
        assert f"<h1>Certificate {n}-V2</h1>" in en
        assert "<dt>Organisation</dt>" in en and "组织" not in en
        zh = page(client, f"/zh-hans/verify/{n}/")
        assert f"<h1>证书 {n}-V2</h1>" in zh
        assert "<dt>组织</dt>" in zh and "Organisation" not in zh


def test_pages_work_on_a_phone_without_javascript(client, huawei):
    n = huawei.certificate_number
    for url in (
        SEARCH,
        f"{SEARCH}?q=huawei",
        f"/verify/{n}/?on=2025-03-01",
        "/verify/NOPE-1/",
        f"/zh-hans/verify/{n}-V1/",
    ):
        html = client.get(url).content.decode()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert "<script" not in html.lower() and "javascript:" not in html.lower()
        assert " on" + "click=" not in html.lower()


def test_only_get(client):
    assert client.post(SEARCH, {"q": "huawei"}).status_code == 405
    assert client.post(reverse("public_api:search"), {"q": "huawei"}).status_code == 405


# -- rate limit --------------------------------------------------------------------------------
def test_rate_limit_gives_a_translated_429_with_retry_after(client, huawei, settings):
    settings.CERTBODY = {**settings.CERTBODY, "PUBLIC_RATE_LIMIT": "3/m"}
    n = huawei.certificate_number
    for url in (SEARCH, f"/verify/{n}/", reverse("public_api:certificate", kwargs={"number": n})):
        assert client.get(url).status_code in (200,)
    limited = client.get(f"{SEARCH}?q=huawei")  # the budget is shared by all public views
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    html = limited.content.decode()
    assert "Too many requests from your address." in html and "<h1>Too many requests</h1>" in html
    api = client.get(reverse("public_api:search"), {"q": "huawei"})
    assert api.status_code == 429 and api["Retry-After"]
    assert api.json()["error"].startswith("Too many requests from your address.")
    zh = client.get("/zh-hans/verify/")
    assert zh.status_code == 429 and '<html lang="zh-hans">' in zh.content.decode()
    # Another address has its own budget.
    assert client.get(SEARCH, REMOTE_ADDR="10.9.8.7").status_code == 200


def test_rate_limit_can_be_switched_off(client, settings):
    settings.CERTBODY = {**settings.CERTBODY, "PUBLIC_RATE_LIMIT": "1/m"}
    settings.RATELIMIT_ENABLE = False
    assert all(client.get(SEARCH).status_code == 200 for _ in range(3))


def test_a_certificate_page_is_one_query(client, huawei):
    with CaptureQueriesContext(connection) as ctx:
        page(client, f"/verify/{huawei.certificate_number}/")
    assert len(ctx.captured_queries) == 1
    assert "number_key" in ctx.captured_queries[0]["sql"]


def test_public_templates_render_missing_variables_empty_with_debug_on(settings):
    """Django's Jinja2 backend picks DebugUndefined with DEBUG on, which prints "{{ q }}" into
    the page; certbody's environment keeps the production behaviour (empty)."""
    from django.template.backends.jinja2 import Jinja2

    settings.DEBUG = True
    backend = Jinja2(
        {
            "NAME": "debug-check",
            "DIRS": [],
            "APP_DIRS": False,
            "OPTIONS": {"environment": "infra.jinja2.environment"},
        }
    )
    assert backend.from_string("[{{ missing }}]").render({}) == "[]"


def test_remembered_translations_are_forgotten_when_a_catalog_changes(client, huawei):
    """runserver re-reads the catalogs when a .mo file changes, without restarting: the
    templates compiled with the old translations are dropped."""
    from pathlib import Path

    from django.template import engines
    from django.utils.autoreload import file_changed

    backend = engines["jinja2"]
    page(client, f"/zh-hans/verify/{huawei.certificate_number}/")
    assert "zh-hans" in backend._environments
    file_changed.send(sender=None, file_path=Path("locale/zh_Hans/LC_MESSAGES/django.py"))
    assert backend._environments  # not a catalog
    file_changed.send(sender=None, file_path=Path("locale/zh_Hans/LC_MESSAGES/django.mo"))
    assert not backend._environments
    assert "证书" in page(client, f"/zh-hans/verify/{huawei.certificate_number}/")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_constant_labels_are_translated_when_the_template_compiles(language, monkeypatch):
    """_("constant") is put into each language's compiled template (infra.jinja2): at
    render time no catalog is read for it, and other values are still translated then."""
    from django.template import engines

    backend = engines["jinja2"]
    backend.forget_compiled()
    with translation.override(language):
        expected = translation.gettext("Status")
        template = backend.from_string("<dt>{{ _('Status') }}</dt><dd>{{ _(word) }}</dd>")
        assert template.render({"word": "Status"}) == f"<dt>{expected}</dt><dd>{expected}</dd>"
        # The templates' runtime _ (every catalog lookup at render time) answers otherwise now.
        monkeypatch.setitem(template.template.globals, "_", lambda message: "NOT COMPILED")
        assert template.render({"word": "Status"}) == (f"<dt>{expected}</dt><dd>NOT COMPILED</dd>")
    if language == "zh-hans":
        assert expected != "Status"  # the catalog has it


@pytest.mark.parametrize(
    ("scope", "html"),
    [
        ("IT services\nHelp desk", "IT services<br>Help desk"),
        ("one\r\ntwo\rthree", "one<br>two<br>three"),
        (
            "<script>alert('x')</script>\n&",
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;<br>&amp;",
        ),
        ("", ""),
    ],
)
def test_the_scope_keeps_its_line_breaks_and_is_escaped(scope, html):
    """infra.jinja2's linebreaksbr (Django's filter, leaner): every line break a <br>,
    everything else escaped, and the result not escaped again by the page."""
    from django.template import engines

    template = engines["jinja2"].from_string("<dd>{{ scope|linebreaksbr }}</dd>")
    assert template.render({"scope": scope}) == f"<dd>{html}</dd>"
