"""The admin side of the object rules (audits/access.py): every admin page, custom view and
autocomplete of a model an auditor may see part of reads through ``get_queryset``, which keeps
only what the user may see. An object outside it does not exist for the user (404), so a
forbidden id is never confirmed."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from . import access


class NeedToKnowAdminMixin:
    """Add first to a ModelAdmin of a model that ``access.visible`` knows. Every object the
    admin works on comes from ``get_queryset`` (``get_object``, custom views through
    ``visible_object_or_404``), so no per-object permission check is needed on top."""

    def get_queryset(self, request):
        return access.visible(super().get_queryset(request), request.user)

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
        rows = (
            self.get_queryset(request)
            if queryset is None
            else access.visible(queryset, request.user)
        )
        return get_object_or_404(rows, pk=object_id)
