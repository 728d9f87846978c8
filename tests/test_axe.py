"""axe-core (WCAG 2.1 A and AA) on every page people read, in both languages (issue 18, item 4).

Debian's chromium, driven by Playwright, opens each page as the role that uses it and runs
axe-core (shipped by axe-playwright-python) on it: no critical and no serious violation allowed.
A failure lists the page, the rule, its impact and the offending elements.

The pages:

- public (anonymous): the lookup, a search with and without results, a certificate of every
  status the demo data holds, the not-found certificate, a page that does not exist (404), the
  sign-in page;
- auditor pages (``audits`` namespace, /auditor/... and the staff scheduling board) and the staff
  workspace (/work/...): every named URL from the resolver, its arguments filled with demo objects
  as tests/workspace/test_access_workspace.py fills them (so a page added tomorrow is covered):
  a page without arguments (a home page, a list, a board) as each role that may open it (CB
  staff, auditor, decision maker, administrator), an object's page as the first of them that
  may; in English an object's own page for an object of each state;
- the Django admin as the superuser: the index, and the changelist and the change form of the
  first row of the main models (``ADMIN_MODELS``);

each in English and in Chinese, where the page's ``<html lang>`` must also be the page's
language, and a client's, person's or site's name written in the other script must carry its
own ``lang`` (WCAG 2.1 SC 3.1.2: the ``lang`` filters of core/languages.py; not checked in the
admin, whose templates are Django's).

To stay fast, the browser does not talk HTTP to a live server: Playwright hands every request to
Django's test client in this thread (``page.route``), signed in once per role, so the demo data
is seeded once in a transaction that is rolled back at the end; each page is asked of Django
first, and only a page the role may open is loaded in the browser (about 300 pages, two
minutes on two cores).

Run it alone: ``.venv/bin/pytest tests/test_axe.py -q -p no:cacheprovider -s`` (prints the
number of pages and the time). Needs /usr/bin/chromium; without it the test skips, under
CI=true it fails (tests/conftest.py).
"""

import asyncio
import mimetypes
import os
import shutil
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from certificates.models import Certificate
from tests.workspace.test_access_workspace import (
    NOT_PAGES,
    TRANSITION_ARGUMENTS,
    _seeded,  # noqa: F401 (a fixture: the demo data and one user per role)
    page_kwargs,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LANGUAGES = ("en", "zh-hans")
# WCAG 2.1 A and AA, as the issue asks; best practices are not part of the check.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("critical", "serious")
# The roles that work in the workspace and the auditor pages, in the order a page is tried.
ROLES = ("CB staff", "Auditor", "Decision maker", "Administrator")
# Non-HTML answers (calendar feeds, CSV exports) are not pages.
NOT_HTML_SUFFIXES = (".ics",)
HOST = "http://testserver"
# The admin pages staff use: the main records (the certificate's PDF link is on its form and in
# the certifications' list); every admin page shares the header and breadcrumbs checked here.
ADMIN_MODELS = {
    "auth.User",
    "clients.Client",
    "clients.Site",
    "clients.Standard",
    "clients.Application",
    "certificates.Certification",
    "certificates.Certificate",
    "certificates.Decision",
    "audits.Audit",
    "audits.Finding",
}

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _need(tool: str) -> None:
    if shutil.which(tool) or os.path.exists(tool):
        return
    message = f"{tool} is not installed (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# -- The pages ------------------------------------------------------------------------------------


def namespace_patterns(namespace: str):
    """(route, URLPattern) of every named URL of ``namespace`` (its routes without the
    language prefix)."""

    def walk(patterns, current, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                inside = current == namespace or p.namespace == namespace
                yield from walk(
                    p.url_patterns,
                    p.namespace or current,
                    prefix + str(p.pattern) if inside and p.namespace != namespace else "",
                )
            elif isinstance(p, URLPattern) and current == namespace and p.name:
                yield prefix + str(p.pattern), p

    return list(walk(get_resolver().url_patterns, None, ""))


def resolver_urls(namespace: str, auditor, language: str) -> list[tuple[str, str, bool]]:
    """(name, url, has arguments) of every page of ``namespace``, its arguments filled as the
    workspace access test fills them. In English: an object's own page for the first object of
    each state, its other pages (forms, parts) and each transition's form once; in Chinese
    (the same templates, translated): one URL per pattern and transition."""
    urls = []
    with translation.override(language):
        for route, pattern in namespace_patterns(namespace):
            if pattern.name in NOT_PAGES or route.endswith(NOT_HTML_SUFFIXES):
                continue
            name = f"{namespace}:{pattern.name}"
            seen = set()
            for kwargs in page_kwargs(route, auditor, per_state=1):
                transition = next((v for k, v in kwargs.items() if k in TRANSITION_ARGUMENTS), None)
                if transition is not None:
                    key = transition  # a transition's form: once, whatever the object
                elif language == "en" and route.rstrip("/").endswith(">"):
                    key = tuple(sorted(kwargs.items()))  # an object's page: each state's first
                else:
                    key = None
                if key in seen:
                    continue
                seen.add(key)
                urls.append((name, reverse(name, kwargs=kwargs), bool(kwargs)))
    return urls


def public_urls(language: str) -> list[tuple[str, str]]:
    """The public pages: lookup, searches, one certificate of each status, not found, 404,
    the sign-in page."""
    client = Certificate.objects.order_by("pk").first().certification.client
    urls = []
    with translation.override(language):
        search = reverse("public:search")
        urls += [
            ("public:search", search),
            ("public:search (results)", f"{search}?q={quote(client.legal_name[:4])}"),
            ("public:search (none)", f"{search}?q=zzzzqqq"),
        ]
        for status in Certificate.objects.order_by().values_list("status", flat=True).distinct():
            certificate = Certificate.objects.filter(status=status).order_by("pk").first()
            urls.append(
                (
                    f"public:certificate ({status})",
                    reverse("public:certificate", args=[certificate.full_number]),
                )
            )
        urls.append(
            (
                "public:certificate (not found)",
                reverse("public:certificate", args=["NO-SUCH-000000-V1"]),
            )
        )
        urls.append(("404", ("/zh-hans" if language != "en" else "") + "/no-such-page/"))
        urls.append(("workspace:login", reverse("workspace:login")))
    return urls


def admin_urls(language: str) -> list[tuple[str, str]]:
    """The admin staff use: the index, the main models' changelists and their first row's form."""
    urls = []
    with translation.override(language):
        urls.append(("admin:index", reverse("admin:index")))
        for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
            if model._meta.label not in ADMIN_MODELS:
                continue
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            urls.append((f"{prefix}_changelist", reverse(f"{prefix}_changelist")))
            first = model._default_manager.order_by("pk").first()
            if first is not None:
                urls.append((f"{prefix}_change", reverse(f"{prefix}_change", args=[first.pk])))
    return urls


# -- The browser ----------------------------------------------------------------------------------


def _static(path: str):
    found = finders.find(path[len(settings.STATIC_URL) :])
    if not found:
        return 404, "text/plain", b"not found"
    kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
    return 200, kind, Path(found).read_bytes()


@contextmanager
def _django():
    """Django's side of a request, inside Playwright's sync API. Playwright runs an asyncio
    loop in this thread, and Django keeps its database connections per thread only outside a
    running loop (asgiref's Local): inside, it would open a second connection that does not see
    the demo data of the module's transaction. The loop is hidden while Django works."""
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(loop)


class Tab:
    """A browser page whose requests are answered by Django's test client as one user, signed
    in once."""

    def __init__(self, browser, user):
        self.client = Client(raise_request_exception=False)
        if user is not None:
            with _django():
                self.client.force_login(user)
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.add_init_script(AXE_SCRIPT)
        self.page.route("**/*", self._answer)
        self.status = None
        self.django_time = 0.0

    def _answer(self, route, request):
        parts = urlsplit(request.url)
        if f"{parts.scheme}://{parts.netloc}" != HOST:
            route.abort()
            return
        if parts.path.startswith(settings.STATIC_URL):
            status, kind, content = _static(parts.path)
            route.fulfill(status=status, content_type=kind, body=content)
            return
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        t0 = time.monotonic()
        with _django():
            response = self.client.generic(request.method, path, request.post_data_buffer or b"")
            content = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
        self.django_time += time.monotonic() - t0
        if request.is_navigation_request():
            kind = response.headers.get("Content-Type", "")
            self.status = (response.status_code, kind.startswith("text/html"))
        route.fulfill(status=response.status_code, headers=dict(response.items()), body=content)

    def answers(self, url: str) -> tuple[int, bool]:
        """(status, is it HTML) of ``url`` for this user, asked of Django alone."""
        t0 = time.monotonic()
        with _django():
            response = self.client.get(url)
        self.django_time += time.monotonic() - t0
        return response.status_code, response.headers.get("Content-Type", "").startswith(
            "text/html"
        )

    def open(self, url: str) -> tuple[int, bool]:
        """Go to ``url``: (the status of the page at the end of redirects, is it HTML)."""
        from playwright.sync_api import Error

        self.status = None
        try:
            self.page.goto(HOST + url, wait_until="load")
        except Error:  # an answer with no body (405 to a GET): chromium shows its own error
            return (self.status or (0, False))[0], False
        return self.status or (0, False)

    def problems(self, where: str, language: str, names=()) -> list[str]:
        """The page's critical and serious axe violations, a wrong <html lang>, and the
        ``names`` shown in another script than the page's without their own lang."""
        results = self.page.evaluate(
            "options => axe.run(document, options)",
            {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]},
        )
        problems = []
        for violation in results["violations"]:
            if violation["impact"] not in FAILING_IMPACTS:
                continue
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            more = f" (+{len(targets) - 5} more)" if len(targets) > 5 else ""
            problems.append(
                f"{where}: {violation['id']} [{violation['impact']}] {violation['help']}: "
                f"{'; '.join(targets[:5])}{more}"
            )
        lang = self.page.evaluate("document.documentElement.lang")
        if lang.lower() != language:
            problems.append(f"{where}: <html lang={lang!r}> on a {language} page")
        if names:
            unmarked = self.page.evaluate(UNMARKED_NAMES, [names, language])
            problems += [f"{where}: {u} without its lang (SC 3.1.2)" for u in unmarked]
        return problems


# The names (clients, people, sites) shown in the page's text in another script than the page's
# language and not inside an element that says their language (``|lang``, core/languages.py).
UNMARKED_NAMES = """([names, pageLanguage]) => {
  const chinese = /[\\u3400-\\u9fff\\uf900-\\ufaff]/;
  const found = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest("script, style, template, option, textarea")) continue;
    for (const name of names) {
      if (!node.textContent.includes(name)) continue;
      const wanted = chinese.test(name) ? "zh" : "en";
      if (pageLanguage.startsWith(wanted)) continue;
      const marked = element.closest("[lang]");
      const language = marked ? marked.getAttribute("lang").toLowerCase() : "";
      const tag = element.tagName.toLowerCase();
      if (!language.startsWith(wanted)) found.add(`"${name}" in <${tag}>`);
    }
  }
  return [...found];
}"""


def shown_names() -> list[str]:
    """The names to find marked: clients' Chinese and English names, people's, sites'."""
    from django.contrib.auth import get_user_model

    from clients.models import Client as ClientModel
    from clients.models import Site
    from core.names import person_name

    names = set()
    for legal, english in ClientModel.objects.values_list("legal_name", "english_name"):
        names |= {legal, english}
    names |= set(Site.objects.values_list("name", flat=True))
    names |= {person_name(u) for u in get_user_model().objects.exclude(first_name="", last_name="")}
    return sorted(n for n in names if n and len(n) >= 3)


def all_pages(users) -> list[tuple[str, tuple[str, ...], bool, str, str, str, int]]:
    """(area, roles to try, as every role that opens it (or the first), language, name, url,
    expected status) of every page checked."""
    pages = []
    for language in LANGUAGES:
        for name, url in public_urls(language):
            expected = 404 if name.startswith(("404", "public:certificate (not")) else 200
            pages.append(("public", ("anonymous",), False, language, name, url, expected))
        for area, namespace in (("auditor", "audits"), ("workspace", "workspace")):
            for name, url, has_arguments in resolver_urls(namespace, users["Auditor"], language):
                # A page without arguments (a home page, a list, a board) shows each role its
                # own content: checked as each; an object's page as the first role that opens it.
                pages.append((area, ROLES, not has_arguments, language, name, url, 200))
        for name, url in admin_urls(language):
            pages.append(("admin", ("superuser",), False, language, name, url, 200))
    return pages


def test_no_critical_or_serious_axe_violation_on_any_page(_seeded):  # noqa: F811
    _need(CHROMIUM)
    users, blocker = _seeded
    from playwright.sync_api import sync_playwright

    with blocker.unblock():
        pages = all_pages(users)
        names = shown_names()
        cache.clear()  # the public pages' rate limit counts per address
    problems, counted, timing, opens = [], Counter(), Counter(), 0
    started = time.monotonic()
    tabs = {}
    with blocker.unblock(), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            for area, roles, every_role, language, name, url, expected in pages:
                opened = False
                for role in roles:
                    if role not in tabs:
                        tabs[role] = Tab(browser, users[role])
                    tab = tabs[role]
                    # Asked first without the browser (a few milliseconds): is it this role's
                    # page (or a page at all: not a CSV, a feed, a refusal or a redirect)?
                    if tab.answers(url) != (expected, True):
                        continue
                    t0 = time.monotonic()
                    status, is_html = tab.open(url)
                    timing["open"] += time.monotonic() - t0
                    opens += 1
                    if (status, is_html) != (expected, True):
                        problems.append(f"{area} {name} {url} as {role}: {status} in the browser")
                        continue
                    opened = True
                    t0 = time.monotonic()
                    where = f"{area} {name} {url} as {role}"
                    # Names are marked on the public, auditor and workspace pages (the admin's
                    # are Django's own templates).
                    marked = names if area != "admin" else ()
                    problems += tab.problems(where, language, marked)
                    timing["axe " + area] += time.monotonic() - t0
                    counted[area, language] += 1
                    if len(roles) == 1 or not every_role:
                        break  # an object's page: as the first role that opens it
                if not opened and area in ("public", "admin"):
                    problems.append(f"{area} {name} {url}: no HTML page with status {expected}")
        finally:
            browser.close()
    elapsed = time.monotonic() - started
    print(
        f"\naxe: {sum(counted.values())} pages in {elapsed:.0f} s: "
        + ", ".join(f"{area} {language} {n}" for (area, language), n in sorted(counted.items()))
        + "; "
        + ", ".join(f"{k} {v:.0f} s" for k, v in sorted(timing.items()))
        + f"; django {sum(t.django_time for t in tabs.values()):.0f} s, {opens} opens"
    )
    assert not problems, f"{len(problems)} accessibility problem(s):\n" + "\n".join(problems)
