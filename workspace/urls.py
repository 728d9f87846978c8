"""The workspace's URLs (/work/..., /zh-hans/work/... in Chinese; certbody/urls.py includes
them inside i18n_patterns)."""

from django.urls import path

from .views import auth, home

app_name = "workspace"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
]
