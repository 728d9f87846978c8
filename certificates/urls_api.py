"""The public JSON API: the same public fields as the verification pages, for machines."""

from django.urls import path

from . import public

app_name = "public_api"

urlpatterns = [
    path("certificates/", public.api_search, name="search"),
    path("certificates/<str:number>/", public.api_certificate, name="certificate"),
]
