"""Need-to-know in the admin: who sees which rows (ISO/IEC 17021-1 8.4 confidentiality).

Every admin page, custom view and autocomplete of a model that only some users may see part of
reads through ``get_queryset`` (``NeedToKnowAdminMixin``), which keeps only what the user may
see. An object outside it does not exist for the user (404), so a forbidden id is never
confirmed.

Who may see what is a domain rule of the audits app (an auditor sees the records of the audits
whose team they are on: audits/access.py), but the admins that need it live in every app,
some below audits (clients). So the rule is a registry: the app that knows it registers one
visibility policy per model at ready() (``register``), and the mixin asks ``visible``. A model
without a policy fails closed: ``visible`` raises ImproperlyConfigured rather than show
every row.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

if TYPE_CHECKING:
    # For the type checker only: the mixin always comes before admin.ModelAdmin in the bases.
    # (Not imported at run time: AppConfigs import this module while the apps load.)
    from django.contrib import admin

    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object

# (queryset, user) -> the rows of queryset that user may see.
Policy = Callable[[QuerySet, object], QuerySet]

# Model label ("clients.client", Model._meta.label_lower) -> its policy.
_POLICIES: dict[str, Policy] = {}


def register(policy: Policy, *labels: str) -> None:
    """Make ``policy`` the visibility rule of the models ``labels`` ("app_label.model_name").
    Called from an AppConfig.ready(); registering a model twice is a configuration error,
    unless it is the same policy (ready() running again)."""
    for label in labels:
        key = label.lower()
        if _POLICIES.get(key, policy) is not policy:
            raise ImproperlyConfigured(f"Need-to-know: {key} already has a visibility policy.")
        _POLICIES[key] = policy


def policy_for(model) -> Policy:
    """The registered policy of ``model``; ImproperlyConfigured when there is none."""
    try:
        return _POLICIES[model._meta.label_lower]
    except KeyError:
        raise ImproperlyConfigured(
            f"Need-to-know: no visibility policy is registered for {model._meta.label_lower}; "
            "register one (core.need_to_know.register) in the ready() of the app that knows "
            "who may see it."
        ) from None


def visible(queryset: QuerySet, user) -> QuerySet:
    """The rows of ``queryset`` that ``user`` may see, by its model's registered policy."""
    return policy_for(queryset.model)(queryset, user)


class NeedToKnowAdminMixin(_AdminBase):
    """Add first to a ModelAdmin of a model with a registered policy. Every object the admin
    works on comes from ``get_queryset`` (``get_object``, custom views through
    ``visible_object_or_404``), so no per-object permission check is needed on top."""

    def get_queryset(self, request):
        return visible(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        # The admin redirects to its index for a missing object ("doesn't exist. Perhaps it
        # was deleted?"); an object the user may not see is a plain 404, as on the auditor
        # pages, for a missing one too, so neither is told from the other.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def visible_object_or_404(self, request, object_id, queryset=None):
        """One object of this admin's queryset (what ``request.user`` may see), else 404;
        ``queryset`` (e.g. with more select_related) is narrowed to the same rows."""
        rows = self.get_queryset(request) if queryset is None else visible(queryset, request.user)
        return get_object_or_404(rows, pk=object_id)
