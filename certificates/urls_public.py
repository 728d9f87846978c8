"""The public verification pages (no login). Included inside i18n_patterns: /verify/ in English,
/zh-hans/verify/ in Chinese. The certificate page's URL is stable: it is printed as the QR code
on every certificate version."""

from django.urls import path

from . import public

app_name = "public"

urlpatterns = [
    path("verify/", public.search, name="search"),
    path("verify/<str:number>/", public.certificate, name="certificate"),
]
