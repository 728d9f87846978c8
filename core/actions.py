"""Transition actions, for any interface (the staff admin, the workspace): which transitions
a user is offered on an object, and taking one through its small form and its service.

An interface is not a logic layer: each action is a form (the date, a reason, what the
transition needs) and an adapter that calls the use-case service. An *action table* maps a
transition name to its ``TransitionAction``; each domain app keeps its own
(certificates/actions.py, audits/actions.py). This module knows nothing of HTTP:

- ``offers(obj, table, user)``: the transitions that leave the current state, each with its
  label, whether ``user`` holds its permission and, where a rule blocks it, the reasons in
  words (``obj.rule_context(...).blockers(name)``);
- ``action_form(obj, table, name, data)``: the bound or unbound form, with its initial values;
- ``take(obj, table, name, data, user)``: check, validate, run the service; a refusal
  (``DomainError``) becomes the form's errors, so the page shows it instead of a 500.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .dates import local_today, not_after_today, plausible_date
from .errors import DomainError
from .transitions import available_transitions, transition_label, user_may

MSG_UNAVAILABLE = _("“%(action)s” is not possible while this is “%(state)s”.")

# Inputs the transition form always asks for: when previewing blockers next to the buttons
# these are assumed given, so only the rules that the form cannot satisfy are listed.
_PREVIEW_INPUTS = {"reason": "-", "plan": "-"}


class TransitionForm(forms.Form):
    """The date a transition is taken on; subclasses add what the transition needs."""

    on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[plausible_date, not_after_today],
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
    """How an interface takes one transition: which form, which service.

    ``service(obj, data, user, on)`` calls the use case with the form's cleaned ``data``;
    ``initial(obj)`` gives the form's initial values beyond the date (e.g. the current scope
    for a scope reduction)."""

    form: type[forms.Form]
    service: Any  # callable(obj, data: dict, user, on) -> Any
    initial: Callable[[Any], dict] | None = None


# A model's action table: transition name -> how to take it.
ActionTable = dict[str, TransitionAction]


class ActionUnavailable(DomainError):
    """The transition does not leave the object's current state (or has no action)."""


@dataclass
class Offer:
    """One transition offered on an object: ``permitted`` when the user holds its permission,
    ``blockers`` the reasons the rules refuse it now (empty: it can be taken)."""

    name: str
    label: str
    permitted: bool
    blockers: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        """The user may take it now: permitted and not blocked."""
        return self.permitted and not self.blockers


def preview_inputs(obj) -> dict:
    """What the forms will supply, assumed given when previewing the blockers."""
    return dict(_PREVIEW_INPUTS, scope=f"{getattr(obj, 'scope', '')} (changed)")


def blockers_now(obj, name: str, user, *, inputs: dict | None = None) -> list[str]:
    """Why transition ``name`` cannot be taken today by ``user`` (the form's inputs assumed
    given)."""
    inputs = preview_inputs(obj) if inputs is None else inputs
    return obj.rule_context(on=local_today(), by=user, **inputs).blockers(name)


def offers(
    obj, table: ActionTable, user, *, only_permitted=True, inputs: dict | None = None
) -> list[Offer]:
    """The transitions of ``table`` that leave ``obj``'s current state, in the model's order:
    by default only those ``user`` holds the permission for (an interface shows no button a
    user may not use); each with its blockers (``inputs``: what the forms will supply,
    ``preview_inputs`` by default)."""
    if obj is None:
        return []
    result = []
    for name in available_transitions(obj):
        if name not in table:
            continue
        permitted = user_may(obj, name, user)
        if only_permitted and not permitted:
            continue
        result.append(
            Offer(
                name=name,
                label=transition_label(obj, name),
                permitted=permitted,
                blockers=blockers_now(obj, name, user, inputs=inputs),
            )
        )
    return result


def check(obj, table: ActionTable, name: str, user) -> TransitionAction:
    """The action ``name`` on ``obj`` for ``user``: ActionUnavailable when it does not leave
    the current state, PermissionDenied when the user lacks its permission."""
    action = table.get(name)
    if action is None or name not in available_transitions(obj):
        # Only a name of the table is a transition (``save``, ``delete``... are not).
        label = transition_label(obj, name) if action is not None else name
        raise ActionUnavailable(
            MSG_UNAVAILABLE % {"action": label, "state": obj.get_state_display()}
        )
    if not user_may(obj, name, user):
        raise PermissionDenied
    return action


def action_form(obj, table: ActionTable, name: str, data=None, *, initial: dict | None = None):
    """The form of action ``name``: bound to ``data`` (a POST) or unbound with today's date,
    the object's revision (so a change made meanwhile shows as a conflict) and the action's
    initial values."""
    action = table[name]
    values = {"on": local_today(), "revision": getattr(obj, "revision", None)}
    if action.initial is not None:
        values.update(action.initial(obj))
    values.update(initial or {})
    return action.form(data, initial=values)


@dataclass
class Taken:
    """The outcome of ``take``: ``done`` with the service's ``result``, or the ``form`` with
    its errors (the rules' refusal among them)."""

    form: forms.Form
    done: bool = False
    result: Any = None


def take(obj, table: ActionTable, name: str, data, user, *, initial=None) -> Taken:
    """Take action ``name`` on ``obj`` as ``user`` with the submitted ``data``: check it
    (ActionUnavailable, PermissionDenied), validate the form, call the service. A
    ``DomainError`` from the service becomes the form's non-field errors (nothing changed)."""
    action = check(obj, table, name, user)
    form = action_form(obj, table, name, data, initial=initial)
    if not form.is_valid():
        return Taken(form=form)
    cleaned = dict(form.cleaned_data)
    if cleaned.get("revision") is not None and hasattr(obj, "revision"):
        obj.revision = cleaned["revision"]  # the revision the user saw: conflicts show
    try:
        result = action.service(obj, cleaned, user, cleaned["on"])
    except DomainError as err:
        for message in err.messages:
            form.add_error(None, message)
        return Taken(form=form)
    return Taken(form=form, done=True, result=result)
