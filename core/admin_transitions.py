"""Transition buttons for the staff admin.

The admin is an interface, not a logic layer: each button opens a small form and calls the
use-case service for that transition. Only transitions the user holds the permission for are
shown; where a rule blocks one, the button is shown disabled with the reasons, so a reviewer
sees exactly what is missing. The object's history (django-fsm-log) is shown below the form.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django_fsm_log.admin import StateLogInline

from .dates import local_today, not_after_today
from .errors import DomainError
from .transitions import available_transitions, transition_label, user_may

if TYPE_CHECKING:
    # For the type checker only: the mixin always comes before admin.ModelAdmin in the bases.
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object

# Inputs the transition form always asks for: when previewing blockers next to the buttons
# these are assumed given, so only the rules that the form cannot satisfy are listed.
_PREVIEW_INPUTS = {"reason": "-", "plan": "-"}


class TransitionForm(forms.Form):
    """The date a transition is taken on; subclasses add what the transition needs."""

    on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[not_after_today],
        help_text=_("The date the action is taken on (today unless recording a past event)."),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReasonForm(TransitionForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(TransitionForm):
    reason = forms.CharField(
        label=_("Reason / note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


@dataclass
class TransitionAction:
    """How the admin takes one transition: which form, which service."""

    form: type[forms.Form]
    service: Any  # callable(obj, data: dict, user, on) -> Any


class HistoryInline(StateLogInline):
    """Who, when, from, to and why, for every transition of this object (django-fsm-log)."""

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
        return log.timestamp

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
        return log.by or _("the system")

    @admin.display(description=_("why"))
    def why(self, log):
        return log.description or "-"


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
        if obj is None:
            return []
        meta = self.model._meta
        result = []
        for name in available_transitions(obj):
            if name not in self.transition_actions or not user_may(obj, name, request.user):
                continue
            obj.rule_context(on=local_today(), by=request.user, **self.preview_inputs(obj))
            result.append(
                {
                    "name": name,
                    "label": transition_label(obj, name),
                    "blockers": obj.blockers(name),
                    "url": reverse(
                        f"admin:{meta.app_label}_{meta.model_name}_transition",
                        args=[obj.pk, name],
                    ),
                }
            )
        return result

    def preview_inputs(self, obj) -> dict:
        return dict(_PREVIEW_INPUTS, scope=f"{getattr(obj, 'scope', '')} (changed)")

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
        action = self.transition_actions.get(name)
        if action is None or name not in available_transitions(obj):
            label = transition_label(obj, name) if hasattr(type(obj), name) else name
            self.message_user(
                request,
                _("“%(action)s” is not possible while this is “%(state)s”.")
                % {"action": label, "state": obj.get_state_display()},
                messages.ERROR,
            )
            return redirect(self._change_url(obj))
        if not user_may(obj, name, request.user):
            raise PermissionDenied
        initial = {"on": local_today(), "revision": getattr(obj, "revision", None)}
        initial.update(self.transition_initial(obj, name))
        form = action.form(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            if data.get("revision") is not None and hasattr(obj, "revision"):
                obj.revision = data["revision"]  # the revision the user saw: conflicts show
            try:
                action.service(obj, data, request.user, data["on"])
            except DomainError as err:
                for message in err.messages:
                    form.add_error(None, message)
            else:
                self.message_user(
                    request,
                    _("Done: %(action)s.") % {"action": transition_label(obj, name)},
                    messages.SUCCESS,
                )
                return redirect(self._change_url(obj))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": transition_label(obj, name),
            "form": form,
            "blockers": obj.rule_context(
                on=local_today(), by=request.user, **self.preview_inputs(obj)
            ).blockers(name),
            "change_url": self._change_url(obj),
        }
        return TemplateResponse(request, "admin/certbody/transition_form.html", context)

    def transition_initial(self, obj, name) -> dict:
        return {}

    def _change_url(self, obj):
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
