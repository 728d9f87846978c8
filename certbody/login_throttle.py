"""Login throttling with django-axes (settings: "Login throttling" in certbody/settings/base.py).

Axes counts failed logins per username and client address; at AXES_FAILURE_LIMIT the pair is
locked out for AXES_COOLOFF_TIME after its last failure. This module gives axes the client
address as the public rate limit sees it, and renders the lockout page: in the language of the
login page (/zh-hans/admin/login/ in Chinese), saying until when the login is locked.
"""

from __future__ import annotations

import math

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from certbody import ratelimit


def client_address(request) -> str | None:
    """The address the public rate limit counts (certbody/ratelimit.py): DJANGO_REAL_IP_HEADER
    behind a reverse proxy, else REMOTE_ADDR (a forwarded header is never trusted unless
    configured); an IPv6 address as its /64, so a client cannot step to a fresh address of
    its own network after each lockout."""
    try:
        return ratelimit.client_address(request)
    except ImproperlyConfigured:
        return request.META.get("REMOTE_ADDR") or None


def retry_at(request, credentials=None):
    """When the locked-out username and address may log in again: the cool-off after their
    last recorded failure."""
    from axes.helpers import get_client_username, get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    last = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + cool_off


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets (HTTP 429, with Retry-After)."""
    from axes.helpers import get_client_username, get_failure_limit

    until = retry_at(request, credentials)
    seconds = max(0, math.ceil((until - timezone.now()).total_seconds())) if until else None
    context = {
        **admin.site.each_context(request),
        "title": gettext("Too many failed logins"),
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "retry_at": until,
        "retry_minutes": max(1, math.ceil(seconds / 60)) if seconds is not None else None,
        "login_url": reverse("admin:login"),
    }
    response = render(request, "admin/certbody/locked_out.html", context, status=429)
    if seconds is not None:
        response["Retry-After"] = str(seconds)
    return response
