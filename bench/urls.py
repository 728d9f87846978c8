"""URLs for the benchmark: the whole site plus ``bench/bare/``, a view that does no database
work, measured in the same run as the public pages so the ratio shows what a page costs."""

import os

from django.http import HttpResponse
from django.urls import path

from certbody.urls import urlpatterns as site_urlpatterns

# About the size of a public page (BENCH_BARE_BYTES to change), so transfer costs match.
_SIZE = int(os.environ.get("BENCH_BARE_BYTES", "4096"))
_LINE = "<p>certbody benchmark baseline: no database work.</p>\n"
BODY = ("<!doctype html>\n" + _LINE * (_SIZE // len(_LINE) + 1))[:_SIZE]


def bare(request):
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *site_urlpatterns]
