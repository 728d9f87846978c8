"""Login throttling with django-axes (settings: "Login throttling" in certbody/settings/base.py).

Axes counts failed logins per username and client address; at AXES_FAILURE_LIMIT the pair is
locked out for AXES_COOLOFF_TIME after its last failure. Axes applies one failure limit to
every set of lockout parameters, so the wider limits are counted here, by the handler
(:class:`ThrottleHandler`, AXES_HANDLER) from axes' own AccessAttempt records (one per
username, address and browser, counting while its last failure is within the cool-off, the
records axes itself counts and deletes): an address with AXES_IP_FAILURE_LIMIT failures across
all usernames is locked out for every username, and a username with AXES_USERNAME_FAILURE_LIMIT
failures across all addresses is locked out from every address (0 turns either off). Both are
higher than the per-pair limit, so a few typos behind a shared office address lock out only
the person who made them. Deleting the attempts (admin, ``axes_reset_ip``,
``axes_reset_username``) unlocks.

This module also gives axes the client address as the public rate limit sees it, and renders
the lockout page: in the language of the login page (/zh-hans/admin/login/ in Chinese), saying
which lock applies and until when.
"""

from __future__ import annotations

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max, Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from infra import ratelimit


def client_address(request) -> str | None:
    """The address the public rate limit counts (infra/ratelimit.py): DJANGO_REAL_IP_HEADER
    behind a reverse proxy, else REMOTE_ADDR (a forwarded header is never trusted unless
    configured); an IPv6 address as its /64, so a client cannot step to a fresh address of
    its own network after each lockout."""
    try:
        return ratelimit.client_address(request)
    except ImproperlyConfigured:
        return request.META.get("REMOTE_ADDR") or None


def _wide_lock(field: str, value, limit: int, cool_off):
    """When the lock on every login with this username or from this address ends, if its
    AccessAttempt records within the cool-off add up to ``limit`` failures; else None. A record
    counts until the cool-off has passed since its last failure, so the lock ends when the
    most recent records holding ``limit`` failures no longer all count: the cool-off after the
    last failure of the oldest of them."""
    if not limit or value in (None, "") or cool_off is None:
        return None
    records = AccessAttempt.objects.filter(
        **{field: value}, attempt_time__gt=timezone.now() - cool_off
    ).order_by("-attempt_time")
    counted = 0
    for attempt_time, failures in records.values_list("attempt_time", "failures_since_start"):
        counted += failures
        if counted >= limit:
            return attempt_time + cool_off
    return None


def locks(request, credentials=None) -> dict:
    """The locks that hold for this login: {"pair" | "address" | "username": until}. The pair
    (username and address) is locked by axes itself at AXES_FAILURE_LIMIT failures."""
    cool_off = get_cool_off(request)
    username = get_client_username(request, credentials)
    address = getattr(request, "axes_ip_address", None)
    found = {}
    until = _wide_lock("ip_address", address, settings.AXES_IP_FAILURE_LIMIT, cool_off)
    if until:
        found["address"] = until
    until = _wide_lock("username", username, settings.AXES_USERNAME_FAILURE_LIMIT, cool_off)
    if until:
        found["username"] = until
    return found


class ThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler, whose failure count also reaches AXES_FAILURE_LIMIT when the
    address or the username is over its wider limit (:func:`locks`): axes then refuses the
    login, records the attempt and shows the lockout page as for a locked pair."""

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        limit = settings.AXES_FAILURE_LIMIT
        if failures < limit and locks(request, credentials):
            return limit
        return failures


def retry_at(request, credentials=None):
    """When the locked-out login may be tried again: the latest end of the locks that hold
    (the pair's: the cool-off after its last recorded failure)."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    pair = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    ).aggregate(last=Max("attempt_time"), failures=Sum("failures_since_start"))
    ends = list(locks(request, credentials).values())
    if pair["last"] and (pair["failures"] or 0) >= settings.AXES_FAILURE_LIMIT:
        ends.append(pair["last"] + cool_off)
    return max(ends) if ends else timezone.now() + cool_off


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out login gets (HTTP 429, with Retry-After): which lock holds (the
    username from this address, every login from this address, or the username from every
    address) and until when."""
    until = retry_at(request, credentials)
    wide = locks(request, credentials)
    reason = "address" if "address" in wide else "username" if "username" in wide else "pair"
    limits = {
        "pair": get_failure_limit(request, credentials),
        "address": settings.AXES_IP_FAILURE_LIMIT,
        "username": settings.AXES_USERNAME_FAILURE_LIMIT,
    }
    seconds = max(0, math.ceil((until - timezone.now()).total_seconds())) if until else None
    context = {
        **admin.site.each_context(request),
        "title": gettext("Too many failed logins"),
        "username": get_client_username(request, credentials) or "",
        "reason": reason,
        "failure_limit": limits[reason],
        "cool_off_minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
        "retry_at": until,
        "retry_minutes": max(1, math.ceil(seconds / 60)) if seconds is not None else None,
        "login_url": reverse("admin:login"),
    }
    response = render(request, "admin/certbody/locked_out.html", context, status=429)
    if seconds is not None:
        response["Retry-After"] = str(seconds)
    return response
