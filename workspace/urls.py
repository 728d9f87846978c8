"""The workspace's URLs (/work/..., /zh-hans/work/... in Chinese; certbody/urls.py includes
them inside i18n_patterns). Each area's views module lists its own ``urlpatterns``."""

from django.urls import path

from .views import (
    applications,
    audits,
    auth,
    certifications,
    certsearch,
    clients,
    dashboard,
    decisions,
    find,
    gaps,
    home,
    imports,
    planning,
    reminders,
    scope_extensions,
    soa,
)

app_name = "workspace"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    *home.urlpatterns,
    *find.urlpatterns,
    *clients.urlpatterns,
    *applications.urlpatterns,
    *certifications.urlpatterns,
    *decisions.urlpatterns,
    *audits.urlpatterns,
    *planning.urlpatterns,
    *dashboard.urlpatterns,
    *reminders.urlpatterns,
    *scope_extensions.urlpatterns,
    *imports.urlpatterns,
    *gaps.urlpatterns,
    *certsearch.urlpatterns,
    *soa.urlpatterns,
]
