"""Signing in and out of the workspace (django.contrib.auth's views; django-axes throttles the
attempts as on the admin's login)."""

from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass
