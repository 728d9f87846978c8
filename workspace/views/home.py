"""Home: my work, by role, most urgent first."""

from django.shortcuts import render
from django.urls import path

from ..access import workspace_page


@workspace_page()
def home(request):
    return render(request, "workspace/home.html", {})


urlpatterns = [path("", home, name="home")]
