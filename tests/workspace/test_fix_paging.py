"""Review fixes (issue 17, FIX): paging stops at MAX_PAGE (1,000 pages: an OFFSET of at most
50,000 rows) and the last allowed page says the list must be narrowed by its filters; one copy
of the duplicated helpers (safe ``next``, the PDF pending note)."""

import pathlib

import pytest
from django.test import RequestFactory
from django.urls import reverse

from certificates import actions
from certificates.admin import certificates as admin_certificates
from infra import paging
from tests.factories import ClientFactory
from workspace.http import safe_next
from workspace.views import lists as list_views

from .conftest import signed_in


def test_max_page_is_a_thousand():
    assert paging.MAX_PAGE == 1_000
    assert paging.page_number("10000") == 1_000


def test_the_last_allowed_page_is_limited(monkeypatch):
    monkeypatch.setattr(paging, "MAX_PAGE", 2)
    rows = list(range(10))
    first = paging.window(rows, 1, per_page=2)
    assert first.has_next and not first.limited
    last = paging.window(rows, 2, per_page=2)
    assert last.rows == [2, 3] and not last.has_next and last.limited
    beyond = paging.window(rows, 9, per_page=2)
    assert beyond.number == 2 and beyond.limited
    # A list that ends on the last allowed page is not limited.
    assert not paging.window(rows[:4], 2, per_page=2).limited


@pytest.mark.django_db
def test_the_list_page_says_to_narrow_the_filters(monkeypatch, staff):
    monkeypatch.setattr(paging, "MAX_PAGE", 1)
    monkeypatch.setattr(list_views, "PER_PAGE", 2)
    for _n in range(3):
        ClientFactory()
    response = signed_in(staff).get(reverse("workspace:clients"))
    text = response.content.decode()
    assert "Page 1 is the last page shown: narrow the list with its filters" in text
    assert 'rel="next"' not in text
    monkeypatch.setattr(paging, "MAX_PAGE", 5)
    text = signed_in(staff).get(reverse("workspace:clients")).content.decode()
    assert "is the last page shown" not in text and 'rel="next"' in text


def test_safe_next_keeps_this_site_only():
    rf = RequestFactory()
    assert safe_next(rf.get("/x", {"next": "/work/planning/"})) == "/work/planning/"
    assert safe_next(rf.post("/x", {"next": "https://evil.example/"}), "/d/") == "/d/"
    assert safe_next(rf.get("/x", {"next": "//evil.example/"})) is None


def test_one_safe_next_in_the_workspace():
    """The views validate ``next`` through workspace.http.safe_next only (certifications.py:
    requested from its owner, see /tmp/plan/NOTES.md)."""
    views = pathlib.Path(__file__).resolve().parents[2] / "workspace" / "views"
    copies = [
        p.name
        for p in views.glob("*.py")
        if "url_has_allowed_host_and_scheme" in p.read_text() and p.name != "certifications.py"
    ]
    assert copies == []


def test_one_pdf_pending_note():
    assert admin_certificates.pdf_pending_note is actions.pdf_pending_note
