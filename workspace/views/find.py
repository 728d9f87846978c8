"""FIND: the one search box and (workspace/views/lists.py) the four lists.

The search box takes whatever a person has at hand: a certificate number (as tolerant as the
public lookup), a client's name or part of it (Chinese or Latin), a credit code, a city. The
results come grouped (clients, certifications, audits), each group at most GROUP_LIMIT rows
with a "more" link to the list filtered by the same text. A certificate number that names
exactly one certification and nothing else goes straight to its page. With htmx the page
answers as one types (the results partial); without JavaScript it is a plain GET form.
"""

from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse

from certificates.selectors.search import GROUP_LIMIT
from certificates.selectors.search import search as search_records

from ..access import workspace_page
from ..http import query_text
from .lists import urlpatterns as list_urlpatterns


def _certification_url(certification) -> str | None:
    try:
        return reverse("workspace:certification", args=[certification.pk])
    except NoReverseMatch:  # the certification page is another area's, maybe not there yet
        return None


@workspace_page()
def search(request):
    text = query_text(request, "q")
    results = search_records(text, user=request.user, limit=GROUP_LIMIT)
    hit = results.number_hit
    if (
        hit is not None
        and not request.htmx
        and not results.clients
        and len(results.certifications) == 1
    ):
        url = _certification_url(hit)
        if url is not None:
            return redirect(url)
    context = {"results": results, "search_query": results.text, "limit": GROUP_LIMIT}
    if request.htmx and request.htmx.target == "search-results":
        return render(request, "workspace/find/_search_results.html", context)
    return render(request, "workspace/find/search.html", context)


urlpatterns = [path("search/", search, name="search"), *list_urlpatterns]
