"""Transition buttons for the staff admin.

The admin is an interface, not a logic layer: each button opens a small form and calls the
use-case service for that transition. Only transitions the user holds the permission for are
shown; where a rule blocks one, the button is shown disabled with the reasons, so a reviewer
sees exactly what is missing. The object's history (django-fsm-log) is shown below the form.
"""

from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_fsm_log.admin import StateLogInline

from .actions import (
    ActionTable,
    ActionUnavailable,
    OptionalReasonForm,
    ReasonForm,
    TransitionAction,
    TransitionForm,
    action_form,
    blockers_now,
    check,
    offers,
    take,
)
from .actions import preview_inputs as _preview_inputs
from .dates import local_datetime_text
from .names import person_name
from .notes import note_text
from .transitions import transition_label

# The forms and the action type live in core/actions.py (shared with the workspace); the
# admins import them from here too.
__all__ = [
    "HistoryInline",
    "OptionalReasonForm",
    "ReasonForm",
    "TransitionAction",
    "TransitionAdminMixin",
    "TransitionForm",
]

if TYPE_CHECKING:
    # For the type checker only: the mixin always comes before admin.ModelAdmin in the bases.
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


class _TabularWithoutRowTitles:
    """The admin's tabular inline template without each row's title. A history row's title
    is str(StateLog): its raw UTC timestamp with microseconds (the wrong day for an evening in
    Shanghai) and its object (a query per row); the columns already say when, what and who.
    ``{% include %}`` renders any object with ``render(context)``."""

    SOURCE = "admin/edit_inline/tabular.html"
    TITLE = "{{ inline_admin_form.original }}"
    # In its place, the transition's name for scripts (and tests), not shown.
    MARK = '<span hidden data-transition="{{ inline_admin_form.original.transition }}"></span>'

    @cached_property
    def _template(self):
        engine = cast(DjangoTemplates, engines["django"]).engine
        source = engine.get_template(self.SOURCE).source
        return engine.from_string(source.replace(self.TITLE, self.MARK))

    def render(self, context):
        return self._template.render(context)


class HistoryInline(StateLogInline):
    """Who, when, from, to and why, for every transition of this object (django-fsm-log)."""

    template = _TabularWithoutRowTitles()
    verbose_name = _("history entry")
    verbose_name_plural = _("history (every state change)")
    fields = ("when", "action", "from_state", "to_state", "who", "why")
    extra = 0
    max_num = 0

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description=_("when"))
    def when(self, log):
        # Local time as people write it, no microseconds (stored UTC shows the wrong day).
        return local_datetime_text(log.timestamp)

    @admin.display(description=_("action"))
    def action(self, log):
        model = log.content_type.model_class()
        if model is not None and hasattr(model, log.transition):
            return transition_label(model, log.transition)
        return log.transition

    @admin.display(description=_("from"))
    def from_state(self, log):
        return log.get_source_state_display()

    @admin.display(description=_("to"))
    def to_state(self, log):
        return log.get_state_display()

    @admin.display(description=_("by"))
    def who(self, log):
        return person_name(log.by) if log.by is not None else _("the system")

    @admin.display(description=_("why"))
    def why(self, log):
        return note_text(log.description) or "-"


class TransitionAdminMixin(_AdminBase):
    """Add to a ModelAdmin of a model with a protected FSMField named ``state``."""

    change_form_template = "admin/certbody/change_form.html"
    transition_actions: dict[str, TransitionAction] = {}

    def get_urls(self):
        meta = self.model._meta
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{meta.app_label}_{meta.model_name}_transition",
            ),
            *super().get_urls(),
        ]

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "state")

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        return inlines if obj is not None else [i for i in inlines if i is not HistoryInline]

    # -- what the user may do -----------------------------------------------------------------
    def transitions_for(self, request, obj) -> list[dict]:
        """Buttons for the transitions ``request.user`` may take from the current state."""
        meta = self.model._meta
        return [
            {
                "name": offer.name,
                "label": offer.label,
                "blockers": offer.blockers,
                "url": reverse(
                    f"admin:{meta.app_label}_{meta.model_name}_transition",
                    args=[obj.pk, offer.name],
                ),
            }
            for offer in offers(
                obj, self.transition_actions, request.user, inputs=self.preview_inputs(obj)
            )
        ]

    def preview_inputs(self, obj) -> dict:
        return _preview_inputs(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, unquote(object_id))
        extra_context["transitions"] = self.transitions_for(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    # -- taking one ----------------------------------------------------------------------------
    def transition_view(self, request, object_id, name):
        # Through the admin's queryset: an object the user may not see (an auditor and another
        # team's audit) does not exist for them.
        obj = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        table: ActionTable = self.transition_actions
        initial = self.transition_initial(obj, name)
        try:
            if request.method == "POST":
                taken = take(obj, table, name, request.POST, request.user, initial=initial)
                if taken.done:
                    self.message_user(
                        request,
                        _("Done: %(action)s.") % {"action": transition_label(obj, name)},
                        messages.SUCCESS,
                    )
                    return redirect(self._change_url(obj))
                form = taken.form
            else:
                check(obj, table, name, request.user)
                form = action_form(obj, table, name, initial=initial)
        except ActionUnavailable as err:
            self.message_user(request, " ".join(err.messages), messages.ERROR)
            return redirect(self._change_url(obj))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": transition_label(obj, name),
            "form": form,
            "blockers": blockers_now(obj, name, request.user, inputs=self.preview_inputs(obj)),
            "change_url": self._change_url(obj),
        }
        return TemplateResponse(request, "admin/certbody/transition_form.html", context)

    def transition_initial(self, obj, name) -> dict:
        """Initial values beyond the action's own (``TransitionAction.initial``)."""
        return {}

    def _change_url(self, obj):
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
