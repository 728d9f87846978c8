"""The admin side of the object rules (audits/access.py): every admin page, custom view and
autocomplete of a model an auditor may see part of reads through ``get_queryset``, which keeps
only what the user may see. An object outside it does not exist for the user (404), so a
forbidden id is never confirmed."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from . import access


class NeedToKnowAdminMixin:
    """Add first to a ModelAdmin of a model that ``access.visible`` knows."""

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

    def has_view_permission(self, request, obj=None):
        if obj is not None and not access.may_see(obj, request.user):
            return False
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not access.may_see(obj, request.user):
            return False
        return super().has_change_permission(request, obj)

    def visible_object_or_404(self, request, object_id, queryset=None):
        """One object of this admin's queryset (what ``request.user`` may see), else 404."""
        base = self.get_queryset(request) if queryset is None else queryset
        return get_object_or_404(access.visible(base, request.user), pk=object_id)
