"""Access tests of the staff workspace generated from the URL resolver (issue 17), so that a page
added tomorrow is covered the day it is added.

Every named URL of the ``workspace`` namespace, its arguments filled with demo objects of every
state (clients, applications, certifications, audits, findings, by state; a transition name of
each object's state and one that is not), GET as every role in English and in Chinese:

- never a server error; an anonymous visitor is sent to the login page; a user with no role is
  refused;
- the zh-hans page shows no UI string left in English: no msgid of the source (makemessages run
  on a copy of the tree, so a string not yet in the catalogue counts) appears verbatim in its
  visible text;
- an auditor never sees the name of a client whose audits they are not on (need-to-know,
  ISO/IEC 17021-1 8.4), on any page they can open, its CSV exports and search results included.

Every form a page offers (read from the pages as the superuser sees them, with plausible values
filled in) is POSTed by each role that must not send it: refused (403, 404, 405 or the form
again with an error; the login page for an anonymous visitor) and nothing in the database
changes. Who must not is written here from the domain rules (shared/domain.md, People), not
taken from the code under test.
"""

import html
import os
import re
import shutil
import tempfile
import time
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import translation

from audits.models import Audit, Finding
from certificates.models import (
    Certificate,
    Certification,
    CertSearchUpload,
    Decision,
    ScopeExtension,
)
from clients.models import Application, ApplicationDocument, Contact, ImportJob, Site
from clients.models import Client as ClientModel
from core.dates import local_today
from core.need_to_know import visible
from core.notes import note_text
from tests.factories import UserFactory
from tests.test_access_generated import _extension_on_each_side, fingerprint, may_transition
from tests.test_translations import ZH_PO, _copy_sources, messages
from workspace.access import roles_of

pytestmark = pytest.mark.django_db

ROLES = ("CB staff", "Auditor", "Decision maker", "Administrator", "superuser", "no group")
ALL_ROLES = (*ROLES, "anonymous")
LANGUAGES = ("en", "zh-hans")
# Signing in and out are not pages about certbody's data (the login page is the anonymous
# visitor's destination, checked below).
NOT_PAGES = {"login", "logout"}
# The literal path segment before an argument names the model the argument is about.
SEGMENT_MODELS = {
    "clients": ClientModel,
    "applications": Application,
    "certifications": Certification,
    "audits": Audit,
    "findings": Finding,
    "sites": Site,
    "contacts": Contact,
    "documents": ApplicationDocument,
    "certificates": Certificate,
    "extensions": ScopeExtension,
    "imports": ImportJob,
    "certsearch": CertSearchUpload,
}
# Arguments that name a transition of the object before them.
TRANSITION_ARGUMENTS = {"name", "action", "transition"}
# List pages: also asked for their CSV export and with a search term.
LIST_PAGES = {
    "search",
    "clients",
    "applications",
    "certifications",
    "audits",
    "decisions",
    "scope_extensions",
}


# -- The demo data and the users ------------------------------------------------------------------


@pytest.fixture(scope="module")
def _seeded(django_db_setup, django_db_blocker):
    """The demo data (every lifecycle state, audits in every state, findings) and one user per
    role, seeded once for the module in a transaction rolled back at its end; each test runs in a
    savepoint of it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--clients", "32", "--walk", "30", stdout=StringIO())
        User = get_user_model()
        users = {
            "CB staff": User.objects.get(username="staff_demo"),
            "Auditor": User.objects.get(username="auditor_demo"),
            "Decision maker": User.objects.get(username="decider_demo"),
            "Administrator": UserFactory(username="administrator", role="Administrator"),
            "superuser": UserFactory(username="root", is_superuser=True),
            "no group": UserFactory(username="nobody"),
            "anonymous": None,
        }
        _extension_on_each_side(users["Auditor"], users["CB staff"])
        yield users, django_db_blocker
        transaction.set_rollback(True)


@pytest.fixture
def demo(_seeded, db):
    return _seeded[0]


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


# -- The URLs, from the resolver ------------------------------------------------------------------


def workspace_patterns():
    """(route, URLPattern) of every named URL of the workspace namespace."""

    def walk(patterns, namespace, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                inside = p.namespace == "workspace" or namespace == "workspace"
                yield from walk(
                    p.url_patterns,
                    p.namespace or namespace,
                    prefix + str(p.pattern) if inside and p.namespace != "workspace" else "",
                )
            elif isinstance(p, URLPattern) and namespace == "workspace" and p.name:
                yield prefix + str(p.pattern), p

    return list(walk(get_resolver().url_patterns, None, ""))


ARGUMENT = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _arguments(route: str) -> list[tuple[str, str]]:
    """(argument, the literal segment before it) of a route, in order."""
    found = []
    for match in ARGUMENT.finditer(route):
        before = [s for s in route[: match.start()].split("/") if s and "<" not in s]
        found.append((match["name"], before[-1] if before else ""))
    return found


def _related(obj, model):
    """The ``model`` object ``obj`` belongs to (one or two foreign-key hops)."""
    if isinstance(obj, model):
        return obj
    fields = [f for f in obj._meta.fields if f.many_to_one or f.one_to_one]
    for f in fields:
        if f.related_model is model:
            return getattr(obj, f.name)
    for f in fields:
        parent = getattr(obj, f.name)
        if parent is not None:
            for g in parent._meta.fields:
                if g.is_relation and g.related_model is model:
                    return getattr(parent, g.name)
    raise AssertionError(f"no path from {obj._meta.label} to {model._meta.label}: teach _related")


def samples(model, auditor, per_state=2):
    """Rows of ``model`` to fill a URL with: the first and last of each state (of the model, or
    of the certifications a client or application holds), and the first of each state among the
    rows the auditor may see."""
    manager = model._default_manager
    if any(f.name == "state" for f in model._meta.fields):
        by = "state"
    elif model in (ClientModel, Application):
        by = "certifications__state"
    else:
        by = None
    chosen = []
    if by is None:
        chosen += list(manager.order_by("pk")[:1]) + list(manager.order_by("-pk")[:1])
        chosen += list(visible(manager.all(), auditor).order_by("pk")[:1]) if _policy(model) else []
    else:
        for state in manager.order_by().values_list(by, flat=True).distinct():
            rows = manager.filter(**{by: state}).order_by("pk")
            chosen += [rows.first(), rows.last()][:per_state]
            if _policy(model):
                chosen += list(visible(rows, auditor)[:1])
    return list({o.pk: o for o in chosen if o is not None}.values())


def _policy(model) -> bool:
    try:
        visible(model._default_manager.none(), None)
    except Exception:  # no need-to-know policy: reference data everyone sees
        return False
    return True


def _transitions(obj):
    """The transition names possible from ``obj``'s state, and one that is not."""
    names = sorted({t.name for t in obj.get_all_state_transitions()})
    possible = [
        n
        for n in names
        if any(
            t.name == n and t.source in (obj.state, "*", "+")
            for t in obj.get_all_state_transitions()
        )
    ]
    return possible + [n for n in names if n not in possible][:1]


def page_kwargs(route, auditor, per_state=2):
    """Every set of URL arguments to try for ``route``."""
    arguments = _arguments(route)
    if not arguments:
        return [{}]
    objects = [(name, SEGMENT_MODELS.get(segment)) for name, segment in arguments]
    models = [(name, m) for name, m in objects if m is not None]
    unknown = [n for n, m in objects if m is None and n not in TRANSITION_ARGUMENTS]
    assert models and not unknown, f"no sample objects known for {route}: teach page_kwargs"
    last_model = models[-1][1]
    result = []
    for obj in samples(last_model, auditor, per_state):
        kwargs = {name: _related(obj, model).pk for name, model in models}
        if any(name in TRANSITION_ARGUMENTS for name, _m in objects):
            (tname,) = [n for n, _m in objects if n in TRANSITION_ARGUMENTS]
            result += [{**kwargs, tname: t} for t in _transitions(obj)]
        else:
            result.append(kwargs)
    return result


def page_urls(auditor, language="en", depth="every"):
    """The workspace pages to GET: (name, url). ``every``: each object sample (first and last
    of each state) and each list's searches and export; ``states``: the first of each state;
    ``one``: one URL per pattern (for those the door refuses whatever the object)."""
    urls = []
    with translation.override(language):
        for route, pattern in workspace_patterns():
            if pattern.name in NOT_PAGES:
                continue
            name = f"workspace:{pattern.name}"
            kwargs_list = page_kwargs(route, auditor, 2 if depth == "every" else 1)
            for kwargs in kwargs_list[:1] if depth == "one" else kwargs_list:
                url = reverse(name, kwargs=kwargs)
                urls.append((name, url))
                if pattern.name in LIST_PAGES and depth != "one":
                    queries = _list_queries(auditor)
                    urls += [
                        (name, f"{url}?{q}") for q in queries[: None if depth == "every" else 2]
                    ]
    return urls


def _list_queries(auditor):
    """Search terms: a client the auditor audits and one they do not (whole and part of the
    name), a certificate number, a city; and the CSV export."""
    theirs = visible(ClientModel.objects.all(), auditor).order_by("pk").first()
    other = ClientModel.objects.exclude(pk__in=visible(ClientModel.objects.all(), auditor)).first()
    number = Certificate.objects.order_by("pk").values_list("number", flat=True).first()
    terms = [
        theirs.legal_name,
        other.legal_name,
        other.legal_name[2:6],
        other.english_name.split(" ")[0] if other.english_name else "",
        other.city,
        number,
    ]
    terms = [quote(t) for t in terms if t]
    return [f"q={t}" for t in terms] + ["format=csv", f"q={quote(other.city)}&format=csv"]


# -- Reading a page -------------------------------------------------------------------------------


class Page(HTMLParser):
    """The visible text of a page (text nodes and the attributes people read, outside scripts
    and outside elements in another language) and its POST forms."""

    ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.forms: list[dict] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, hides its text)
        self._form = None
        self._select = None
        self._textarea = None

    @property
    def _hidden(self) -> bool:
        return any(hides for _tag, hides in self._stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        other_language = "lang" in a and not (a["lang"] or "").startswith("zh")
        hides = tag in ("script", "style", "template") or other_language
        if tag not in self.VOID:
            self._stack.append((tag, hides))
        if not (self._hidden or hides):
            self.chunks += [a[k] for k in self.ATTRIBUTES if a.get(k)]
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.chunks.append(a["value"])
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": [], "buttons": []}
            self.forms.append(self._form)
        elif self._form is not None:
            self._field(tag, a)

    def _field(self, tag, a):
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image"):
                self._form["buttons"].append((name, a.get("value", "")))
            elif kind != "file":
                self._form["fields"].append([name, kind, a.get("value", ""), a])
        elif tag == "button" and name and (a.get("type") or "submit") == "submit":
            self._form["buttons"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = [name, "select", None, a]
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[2] in (None, "") or "selected" in a:
                self._select[2] = value
        elif tag == "textarea" and name:
            self._textarea = [name, "textarea", "", a]
            self._form["fields"].append(self._textarea)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self._stack:
            if self._stack.pop()[0] == tag:
                break
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data
        text = " ".join(data.split())
        if text and not self._hidden:
            self.chunks.append(text)


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def read(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def form_variants(form, page_url) -> list[tuple[str, dict]]:
    """(action URL, data) for each submit button of a form, empty fields filled plausibly."""
    today = local_today()
    data: dict[str, list[str]] = {}
    radios = set()
    for name, kind, value, attrs in form["fields"]:
        if kind == "radio":
            if name not in radios:
                radios.add(name)
                data.setdefault(name, []).append(value)
            continue
        if kind == "checkbox":
            data.setdefault(name, []).append(value or "on")
            continue
        if not value:
            value = {
                "date": today.isoformat(),
                "datetime-local": f"{today.isoformat()}T10:00",
                "number": attrs.get("min") or "1",
                "email": "generated@example.com",
                "hidden": "",
            }.get(kind, "generated access test" if kind != "select" else "")
        data.setdefault(name, []).append(value)
    action = form["action"] or page_url
    buttons = form["buttons"] or [None]
    return [(action, {**data, **({b[0]: [b[1]]} if b else {})}) for b in buttons]


# -- The untranslated strings -------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|\{[^{}]*\}")
TAG = re.compile(r"<[^>]+>")
WORD = re.compile(r"[A-Za-z]{2,}")


def source_msgids() -> set[str]:
    """The msgids of the source as it is now: makemessages on a copy of the tree (so strings not
    yet merged into the catalogue count), or the committed catalogue without GNU gettext."""
    entries = messages(ZH_PO)
    identical = {e.msgid for e in entries if e.translations[0] == e.msgid}
    if shutil.which("xgettext"):
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "src"
            _copy_sources(Path(settings.BASE_DIR), tree)
            (tree / "locale").mkdir()
            cwd = Path.cwd()
            try:
                os.chdir(tree)
                with override_settings(LOCALE_PATHS=[str(tree / "locale")]):
                    call_command(
                        "makemessages",
                        locale=["zh_Hans"],
                        ignore_patterns=[".venv", "tests", "bench", "var"],
                        verbosity=0,
                    )
            finally:
                os.chdir(cwd)
            entries = messages(tree / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    ids = set()
    for e in entries:
        ids |= {e.msgid} | ({e.msgid_plural} if e.msgid_plural else set())
    return {i for i in ids if i not in identical}


class Matcher:
    """One msgid as it would show untranslated: the whole of a text chunk (``whole``), or,
    for a msgid of two words or more, anywhere in the page's text (``search``). ``literal``,
    its longest fixed part, is looked for first (plain substring search: fast)."""

    def __init__(self, msgid, text, words):
        parts = PLACEHOLDER.split(text)
        pattern = ".+?".join(re.escape(p) for p in parts)
        self.msgid = msgid
        self.literal = max(parts, key=len)
        self.exact = text if len(parts) == 1 else None
        self.whole = re.compile(pattern)
        self.search = (
            re.compile(r"(?<![A-Za-z])" + pattern + r"(?![A-Za-z])") if len(words) >= 2 else None
        )


def untranslated_matchers(msgids) -> list[Matcher]:
    matchers = []
    for msgid in msgids:
        text = " ".join(TAG.sub(" ", msgid).split())
        words = WORD.findall(PLACEHOLDER.sub(" ", text))
        if words and sum(len(w) for w in words) >= 3:
            matchers.append(Matcher(msgid, text, words))
    return matchers


def untranslated_on(page: Page, matchers, data_strings) -> set[str]:
    chunks = {
        c
        for c in (c.strip(" :·()[]|-\u2013\u2014,.;…*") for c in page.chunks)
        if WORD.search(c) and c not in data_strings
    }
    flat = " ".join(page.chunks)
    for s in data_strings:
        if s in flat:
            flat = flat.replace(s, " ")
    found = set()
    for m in matchers:
        if m.exact is not None:
            if m.exact in chunks:
                found.add(m.msgid)
        elif any(m.literal in c and m.whole.fullmatch(c) for c in chunks):
            found.add(m.msgid)
        searched = m.search is not None and m.msgid not in found and m.literal in flat
        if searched and m.search.search(flat):
            found.add(m.msgid)
    # "Expiry date" inside "Expiry date passed without ...": one string left in English.
    return {f for f in found if not any(f != g and f in g for g in found)}


def data_strings() -> set[str]:
    """Text that is data, not UI (names, scopes, descriptions, addresses), in any language."""
    strings = set()
    for qs, fields in (
        (ClientModel.objects.all(), ("legal_name", "english_name", "city")),
        (Certification.objects.all(), ("scope",)),
        (Application.objects.all(), ("scope",)),
        (Site.objects.all(), ("name", "address")),
        (Finding.objects.all(), ("description",)),
        (ScopeExtension.objects.all(), ("services", "scope", "no_audit_justification")),
    ):
        for row in qs.values_list(*[f for f in fields if _has(qs.model, f)]):
            strings |= {" ".join(str(v).split()) for v in row if v}
    # Reasons a person typed (the demo types them in Chinese and English), shown as typed; not
    # the system's history notes (core.notes), which must be shown in the reader's language.
    with translation.override("zh-hans"):
        typed = ((Decision.objects.all(), "reason"), (Audit.objects.all(), "late_reason"))
        for qs, field in typed:
            for value in qs.exclude(**{field: ""}).values_list(field, flat=True).distinct():
                if note_text(value) == value:
                    strings.add(" ".join(value.split()))
    return {s for s in strings if WORD.search(s)}


def _has(model, field) -> bool:
    return any(f.name == field for f in model._meta.fields)


# -- The crawl: every page, as every role, in both languages ------------------------------------


@pytest.fixture(scope="module")
def crawl(_seeded):
    """Every page GET once as every role in both languages. Kept: the status, the redirect,
    the untranslated strings (zh-hans), the other clients' names shown to the auditor, and the
    forms the superuser is offered."""
    users, blocker = _seeded
    with blocker.unblock():
        auditor = users["Auditor"]
        started = time.monotonic()
        matchers = untranslated_matchers(source_msgids())
        print(f"\nmsgids: {len(matchers)} in {time.monotonic() - started:.0f} s", flush=True)
        data = data_strings()
        theirs = set(visible(ClientModel.objects.all(), auditor).values_list("pk", flat=True))
        names_theirs = [
            n
            for row in ClientModel.objects.filter(pk__in=theirs).values_list(
                "legal_name", "english_name"
            )
            for n in row
            if n
        ]
        secrets = {
            n
            for row in ClientModel.objects.exclude(pk__in=theirs).values_list(
                "legal_name", "english_name"
            )
            for n in row
            if n and len(n) >= 4 and not any(n in t for t in names_theirs)
        }
        results = {"pages": [], "forms": {}, "checked": 0}
        started = time.monotonic()
        for language in LANGUAGES:
            for role in ALL_ROLES:
                if role in ("anonymous", "no group"):
                    depth = "one"  # refused at the door: one URL per pattern
                else:
                    depth = "every" if language == "en" else "states"
                urls = page_urls(auditor, language, depth)
                client = _client(users[role])
                print(f"crawl: {role} ({language}): {len(urls)} pages", flush=True)
                for name, url in urls:
                    response = client.get(url)
                    row = {
                        "role": role,
                        "language": language,
                        "name": name,
                        "url": url,
                        "status": response.status_code,
                        "location": response.headers.get("Location", ""),
                        "untranslated": set(),
                        "leaked": set(),
                    }
                    if response.status_code == 200:
                        _inspect(response, row, matchers, data, secrets, auditor, results)
                    results["pages"].append(row)
        print(f"crawl: {len(results['pages'])} GETs in {time.monotonic() - started:.0f} s")
        return results


def _inspect(response, row, matchers, data, secrets, auditor, results):
    is_html = response.headers.get("Content-Type", "").startswith("text/html")
    text = body(response)
    if row["role"] == "Auditor" and response.headers.get("Content-Type", "").startswith("text"):
        asked = unquote(row["url"].partition("?")[2])
        # The name the auditor typed comes back in the search box: not a leak. Each client is
        # also searched by a part of its name, where its whole name would be one.
        row["leaked"] = {
            n for n in secrets if n not in asked and (n in text or html.escape(n) in text)
        }
    if not is_html:
        return
    if row["language"] == "zh-hans" or row["role"] == "superuser":
        page = read(text)
        if row["language"] == "zh-hans":
            row["untranslated"] = untranslated_on(page, matchers, data)
        elif row["language"] == "en":
            for form in page.forms:
                for action, values in form_variants(form, row["url"].split("?")[0]):
                    results["forms"].setdefault((action, _key(values)), (action, values))


def _key(values) -> tuple:
    return tuple(sorted((k, tuple(v)) for k, v in values.items() if k != "csrfmiddlewaretoken"))


def test_the_resolver_was_walked(_seeded):
    users, blocker = _seeded
    with blocker.unblock():
        names = {name for name, _url in page_urls(users["Auditor"])}
    assert "workspace:home" in names
    with translation.override("zh-hans"):
        assert reverse("workspace:home").startswith("/zh-hans/work/")


def test_no_page_answers_with_a_server_error(crawl):
    failures = [
        f"{p['role']} ({p['language']}): GET {p['url']} ({p['name']}) -> {p['status']}"
        for p in crawl["pages"]
        if p["status"] >= 500
    ]
    assert not failures, f"{len(failures)} server error(s):\n" + "\n".join(failures)


def test_anonymous_visitors_are_sent_to_the_login_page(crawl):
    failures = []
    for p in crawl["pages"]:
        if p["role"] != "anonymous":
            continue
        login = (
            reverse("workspace:login") if p["language"] == "en" else _zh(reverse, "workspace:login")
        )
        if p["status"] == 405:
            continue  # a POST-only URL: nothing shown, nothing said
        if p["status"] != 302 or not p["location"].startswith(login):
            failures.append(f"GET {p['url']} -> {p['status']} {p['location']}")
    assert not failures, "\n".join(failures)


def _zh(function, *args, **kwargs):
    with translation.override("zh-hans"):
        return function(*args, **kwargs)


def test_users_without_a_role_see_nothing(crawl):
    failures = [
        f"GET {p['url']} -> {p['status']}"
        for p in crawl["pages"]
        if p["role"] == "no group" and p["status"] not in (403, 404, 405)
    ]
    assert not failures, "a user with no group opened:\n" + "\n".join(failures)


def test_every_role_opens_its_home_page(crawl):
    for role in ("CB staff", "Auditor", "Decision maker", "Administrator", "superuser"):
        (home,) = [
            p
            for p in crawl["pages"]
            if p["role"] == role and p["name"] == "workspace:home" and p["language"] == "en"
        ]
        assert home["status"] == 200, role


def test_chinese_pages_have_no_english_ui_string(crawl):
    by_string: dict[str, set[str]] = {}
    for p in crawl["pages"]:
        for msgid in p["untranslated"]:
            by_string.setdefault(msgid, set()).add(p["name"])
    assert not by_string, (
        f"{len(by_string)} UI string(s) left in English under /zh-hans/:\n"
        + "\n".join(
            f"{msgid!r} on {', '.join(sorted(names))}" for msgid, names in sorted(by_string.items())
        )
    )


def test_auditors_never_see_a_client_they_do_not_audit(crawl):
    opened = [p for p in crawl["pages"] if p["role"] == "Auditor" and p["status"] == 200]
    assert opened, "the auditor opened no workspace page"
    failures = [f"GET {p['url']} shows {sorted(p['leaked'])[:3]}" for p in opened if p["leaked"]]
    assert not failures, "the auditor saw clients they do not audit:\n" + "\n".join(failures)


# -- Who must not POST what (the oracle) --------------------------------------------------------

OFFICE_WRITES = ("certificates.review_application", "clients.change_client")


def _object(match):
    """The object a workspace URL is about (the last argument naming a model), or None."""
    route = str(match.route)
    obj = None
    for name, segment in _arguments(route):
        model = SEGMENT_MODELS.get(segment)
        if model is not None and name in match.kwargs:
            obj = model._default_manager.filter(pk=match.kwargs[name]).first()
    return obj


def may_post(user, match) -> bool | None:
    """True: the role may send it; False: it must not (tested); None: the domain rules alone do
    not say (an auditor's step on their own audit, a worklist's own buttons): not tested."""
    if user is None or not roles_of(user):
        return False
    name = match.url_name
    obj = _object(match)
    if (
        obj is not None
        and _policy(type(obj))
        and not visible(type(obj)._default_manager.filter(pk=obj.pk), user).exists()
    ):
        return False  # outside need-to-know
    transition = next((match.kwargs[k] for k in TRANSITION_ARGUMENTS if k in match.kwargs), None)
    if transition is not None and obj is not None and hasattr(type(obj), transition):
        if not hasattr(getattr(type(obj), transition), "_django_fsm"):
            return None
        try:
            return may_transition(user, obj, transition)
        except Exception:  # a transition the oracle cannot judge
            return None
    if name.startswith("decision"):
        return user.has_perm("certificates.decide_certification")
    audit = _related(obj, Audit) if isinstance(obj, (Audit, Finding)) else None
    if audit is not None or name.startswith(("audit", "planning", "finding")):
        if user.has_perm("audits.manage_audit"):
            return True
        if audit is not None and (
            audit.team_leader_id == user.pk or audit.members.filter(pk=user.pk).exists()
        ):
            return None  # the auditor's own steps on their audit
        return False
    if isinstance(obj, (ClientModel, Application, Site, Contact, ApplicationDocument)) or (
        name.startswith(
            ("client", "application", "intake", "site", "contact", "document", "import")
        )
    ):
        return any(user.has_perm(p) for p in OFFICE_WRITES)
    if name.startswith("certsearch"):
        return user.is_active and user.has_perm("certificates.manage_certification")
    if name.startswith(("certification", "scope_extension")):
        return user.has_perm("certificates.manage_certification")
    return None


def _login_redirect(response) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code == 302 and "/login/" in location


def test_no_role_posts_a_form_it_must_not(demo, crawl):
    """Every form the superuser is offered on any page, sent by each role that must not:
    refused, nothing changed."""
    forms = list(crawl["forms"].values())
    failures, tried = [], 0
    for action, data in forms:
        try:
            match = resolve(action)
        except Resolver404:
            continue
        if match.namespace != "workspace" or match.url_name in NOT_PAGES:
            continue
        for role in ALL_ROLES:
            user = demo[role]
            if may_post(user, match) is not False:
                continue
            obj = _object(match)
            before = fingerprint(obj)
            response = _client(user).post(action, data)
            tried += 1
            refused = (
                _login_redirect(response) or response.status_code == 405
                if user is None
                else response.status_code in (200, 400, 403, 404, 405)
            )
            if not refused:
                failures.append(f"{role}: POST {action} -> {response.status_code}")
            if fingerprint(obj) != before:
                failures.append(f"{role}: POST {action} {sorted(data)} changed the database")
    print(f"{len(forms)} forms found, {tried} forbidden POSTs tried")
    assert not failures, "\n".join(failures)


def test_every_url_refuses_a_bare_post_from_who_must_not(demo, _seeded):
    """Every workspace URL (forms or not), POSTed empty by each role that must not: refused,
    nothing changed (a POST-only endpoint no page links to yet is covered too)."""
    users = demo
    failures = []
    for name, url in page_urls(users["Auditor"], "en", "states"):
        if "?" in url:
            continue
        match = resolve(url)
        for role in ALL_ROLES:
            user = users[role]
            if may_post(user, match) is not False:
                continue
            obj = _object(match)
            before = fingerprint(obj)
            response = _client(user).post(url, {})
            # An empty form: refused outright, or sent back with a message (302); what
            # matters is that nothing changed. (The valid-looking forms of
            # test_no_role_posts_a_form_it_must_not get no redirect.)
            ok = (
                _login_redirect(response) or response.status_code == 405
                if user is None
                else response.status_code in (200, 302, 400, 403, 404, 405)
            )
            if not ok:
                failures.append(f"{role}: POST {url} ({name}) -> {response.status_code}")
            if fingerprint(obj) != before:
                failures.append(f"{role}: POST {url} ({name}) changed the database")
    assert not failures, "\n".join(failures)


def test_the_oracle_says_who_must_not(demo):
    """The oracle's own promises, on the agreed URL names."""
    staff, decider, auditor = demo["CB staff"], demo["Decision maker"], demo["Auditor"]
    cert = Certification.objects.filter(state="decision_pending").first()

    class Match:
        def __init__(self, url_name, route, **kwargs):
            self.url_name, self.route, self.kwargs = url_name, route, kwargs

    decision = Match("decision", "certifications/<int:pk>/decision/", pk=cert.pk)
    assert may_post(decider, decision) is True
    assert may_post(staff, decision) is False
    assert may_post(None, decision) is False
    new_client = Match("client_new", "clients/new/")
    assert may_post(staff, new_client) is True
    assert may_post(decider, new_client) is False
    assert may_post(auditor, new_client) is False
