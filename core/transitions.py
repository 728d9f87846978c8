"""Run one django-fsm transition the way every service does (pretix's shape).

The caller has opened ``transaction.atomic()`` and locked the row with select_for_update.
This checks, in order: the transition exists from the current state, the user has its
permission, and the model's rules hold on the given date; then it calls the transition, which
django-fsm-log records (who, when, from, to, why) in the same transaction.
"""

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from .dates import local_today
from .errors import DomainError

MSG_NOT_ALLOWED = _("“%(action)s” is not possible while %(object)s is “%(state)s”.")
MSG_NO_PERMISSION = _("You do not have permission to “%(action)s”.")
MSG_IN_THE_FUTURE = _(
    "“%(action)s” cannot be dated %(on)s, after today (%(today)s): an action is recorded when "
    "it happens."
)


def transition_label(obj, name: str) -> str:
    """The translated label of transition ``name`` (``obj``: a model class or an instance)."""
    method = getattr(obj if isinstance(obj, type) else type(obj), name)
    for t in method._django_fsm.transitions.values():
        return str(t.custom.get("label") or name)
    return name


def user_may(obj, name: str, user) -> bool:
    """Whether ``user`` holds the permission of transition ``name`` from the current state
    (rules are not checked here: ``obj.blockers(name)`` says why they do not hold). A
    permission may be an object rule (a callable, e.g. audits.access.TeamPermission): the
    user must then be allowed on this very object."""
    meta = getattr(obj, name)._django_fsm
    return meta.has_transition_perm(obj, meta.field.get_state(obj), user)


def permission_refusal(obj, name: str, user) -> str:
    """Why ``user`` may not take transition ``name`` on ``obj``, in words for the user."""
    meta = getattr(obj, name)._django_fsm
    transition = meta.get_transition(meta.field.get_state(obj))
    refusal = getattr(getattr(transition, "permission", None), "refusal", None)
    message = refusal(obj, user) if refusal is not None else None
    return str(message or MSG_NO_PERMISSION % {"action": transition_label(obj, name)})


def available_transitions(obj) -> list[str]:
    """Names of the transitions that leave the current state (rules not checked)."""
    names = []
    for t in obj.get_all_state_transitions():
        if t.source in (obj.state, "*", "+") and t.name not in names:
            names.append(t.name)
    return names


def latest_action_day():
    """The last day a person's action may be dated: today in the body's time zone. The rules'
    one clock (the lifecycle tests, which walk certifications into later years through the
    services, pin it open: tests/conftest.py; tests/test_action_dates.py tests the rule)."""
    return local_today()


def run_transition(obj, name, *, by, on, error=DomainError, description="", **extra):
    """Take transition ``name`` on the locked ``obj``; ``by=None`` means the system acts."""
    method = getattr(obj, name)
    label = transition_label(obj, name)
    if not can_proceed(method, check_conditions=False):
        raise error(
            MSG_NOT_ALLOWED
            % {"action": label, "object": obj._meta.verbose_name, "state": obj.get_state_display()}
        )
    if by is not None and not user_may(obj, name, by):
        raise error(permission_refusal(obj, name, by))
    today = latest_action_day()
    if by is not None and on > today:
        # A decision, a report, a verification is recorded when it happens, not in advance
        # (a grant dated after today would print a certificate not yet decided); past events
        # may be recorded.
        raise error(
            MSG_IN_THE_FUTURE % {"action": label, "on": on.isoformat(), "today": today.isoformat()}
        )
    obj.rule_context(on=on, by=by, **extra)
    blockers = obj.blockers(name)
    if blockers:
        raise error(*blockers)
    method(by=by, description=(description or "").strip() or None)
    if hasattr(obj, "state_since"):
        obj.state_since = on  # the day it entered the new state (RuleMixin's chronology)
    return obj
