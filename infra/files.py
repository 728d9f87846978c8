"""Uploaded and generated files (client documents, import files, auditors' evidence, certificate
PDFs) are never served as they are stored: MEDIA_URL points at this staff-only view (settings),
so every FileField's ``.url`` (the admin's file widgets and read-only fields, any template)
links here, in every settings module, DEBUG or not.

A file is sent only to a logged-in staff user who may see an object holding it in the admin:
through the admin of its model (that admin's queryset and view permission, so any object-level
restriction applies), or through an inline that shows it on its parent's page (the parent's
queryset and view permission, and the inline's). Anything else, including a name no object
holds, is a 404. The file always comes as an attachment (never rendered by the browser), and
is not kept in shared caches.
"""

from __future__ import annotations

import posixpath

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.db import models
from django.forms.models import _get_foreign_key
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control

# Objects holding one file name looked at, per model (a name is normally held by one).
_OWNERS_PER_MODEL = 10


def file_holders(name: str):
    """Every object whose FileField holds the stored file ``name``."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                query = model._default_manager.filter(**{field.name: name})
                for obj in query[:_OWNERS_PER_MODEL]:
                    yield obj, field


def may_see(request, obj, site=admin.site) -> bool:
    """May this user see ``obj`` in the admin (its own admin, or an inline on its parent)?"""
    model_admin = site._registry.get(type(obj))
    if (
        model_admin is not None
        and model_admin.get_queryset(request).filter(pk=obj.pk).exists()
        and model_admin.has_view_permission(request, obj)
    ):
        return True
    for parent_admin in site._registry.values():
        for inline_class in parent_admin.inlines:
            if inline_class.model is not type(obj) or not issubclass(
                inline_class, InlineModelAdmin
            ):
                continue
            inline = inline_class(parent_admin.model, site)
            fk = _get_foreign_key(parent_admin.model, inline.model, fk_name=inline.fk_name)
            parent = parent_admin.get_queryset(request).filter(pk=getattr(obj, fk.attname)).first()
            if (
                parent is not None
                and parent_admin.has_view_permission(request, parent)
                and inline.has_view_permission(request, parent)
            ):
                return True
    return False


def protected_file(request, name: str):
    """Send one stored file to a staff user who may see an object holding it."""
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise Http404
    for obj, field in file_holders(name):
        if may_see(request, obj):
            stored = getattr(obj, field.name)
            try:
                handle = stored.open("rb")
            except FileNotFoundError:
                raise Http404 from None
            response = FileResponse(handle, as_attachment=True, filename=posixpath.basename(name))
            patch_cache_control(response, private=True, no_store=True)
            return response
    raise Http404
