"""The bridge between django-fsm conditions and rules that need a date or a person.

django-fsm calls a condition with the instance only, but our rules need the date they are
judged on (``on``), who acts (``by``) and sometimes a justification. A service sets these on
the instance with ``rule_context(...)`` before calling a transition; each transition has one
condition, ``rules_hold(name)``, which asks the model's ``blockers(name)`` for the reasons the
transition may not be taken. The same reasons are shown to staff next to the button, so the
reviewer sees exactly what is missing.

Where the rules live: every rule is a plain function ``fn(obj) -> Iterable[str]`` in its app's
rules module (``certificates/rules.py``, ``audits/rules.py``), with a docstring naming the clause
it enforces, and each module ends with an explicit ``TABLE`` {(model, transition): [rules, in
order]} that its AppConfig.ready() registers in ``RULES``. ``blockers(name)`` is the chronology
rule below, then every registered rule's reasons in table order. A transition that has no rule
but the chronology is registered with an empty list; one that is not registered at all is an
error (``RuleNotRegistered``, and tests/test_rules_table.py checks every transition).
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _
from django_fsm import transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

if TYPE_CHECKING:
    # For the type checker only: the mixin always sits on a model (the migrations name it in
    # the models' bases, so at run time it stays a plain class).
    _ModelBase = models.Model
else:
    _ModelBase = object

MSG_BEFORE_STATE_SINCE = _(
    "This %(object)s has been “%(state)s” since %(since)s: an action on it cannot be dated "
    "%(on)s, before that."
)


@dataclass
class RuleContext:
    on: datetime.date
    by: Any = None
    extra: dict = field(default_factory=dict)
    # The transition being judged (set by RuleMixin.blockers): a rule shared by several
    # decisions reads it to know which audits the decision rests on.
    transition: str = ""


class RuleContextMissing(RuntimeError):
    """A transition was checked without saying on which date: a programming error."""


class RuleNotRegistered(LookupError):
    """A transition's rules were asked for but none are registered: a programming error."""


Rule = Callable[[Any], Iterable[Any]]


class RuleTable:
    """The explicit table of rules: (model class, transition name) -> rule functions, in the
    order their reasons are shown. An empty list says "no rule but the chronology"."""

    def __init__(self):
        self._rules: dict[tuple[type, str], list[Rule]] = {}

    def register(self, table: dict[tuple[type, str], list[Rule]]) -> None:
        for (model, name), rules in table.items():
            key = (model, name)
            if key in self._rules and self._rules[key] != list(rules):
                raise ValueError(f"rules for {model.__name__}.{name} registered twice")
            self._rules[key] = list(rules)

    def rules_for(self, model: type, name: str) -> list[Rule]:
        for cls in model.__mro__:
            if (cls, name) in self._rules:
                return self._rules[(cls, name)]
        raise RuleNotRegistered(
            f"{model.__name__}.{name}: no rules registered (add it to its app's rules.TABLE, "
            "with an empty list if it has none)"
        )

    def items(self):
        return self._rules.items()


RULES = RuleTable()


class RuleMixin(_ModelBase):
    """Mixed into models whose transitions are guarded by ``rules_hold``."""

    if TYPE_CHECKING:

        def get_state_display(self) -> str: ...

    def rule_context(self, *, on: datetime.date, by=None, **extra):
        if not isinstance(on, datetime.date):
            raise TypeError("on must be a date")
        self._rule_context = RuleContext(on=on, by=by, extra=extra)
        return self

    @property
    def ctx(self) -> RuleContext:
        ctx = getattr(self, "_rule_context", None)
        if ctx is None:
            raise RuleContextMissing(
                f"{type(self).__name__}: call rule_context(on=...) before checking transitions"
            )
        return ctx

    def clean_fields(self, exclude=None):
        # The state is FSMField(protected=True): only transitions change it, so validation
        # must not write it back (django-fsm would raise "Direct state modification").
        return super().clean_fields(exclude={*(exclude or ()), "state"})

    def blockers(self, name: str) -> list[str]:
        """Plain-language reasons the transition ``name`` may not be taken now (empty: go):
        the chronology rule, then every rule registered for it in ``RULES``, in table order."""
        rules = RULES.rules_for(type(self), name)
        self.ctx.transition = name
        reasons = [str(m) for m in self._chronology_blockers()]
        for rule in rules:
            reasons += [str(m) for m in rule(self)]
        return reasons

    def _chronology_blockers(self):
        """Time runs forwards: no transition is dated before the day the object entered its
        current state (``state_since``, set from the ``on`` of the transition that led there).
        A decision is not dated before the file was submitted for decision, an audit does not
        close before its report, a correction is not verified before it was reported (ISO/IEC
        17021-1 9.5, 9.4.9: the records show what happened in the order it happened)."""
        since = getattr(self, "state_since", None)
        if since is not None and self.ctx.on < since:
            yield MSG_BEFORE_STATE_SINCE % {
                "object": self._meta.verbose_name,
                "state": self.get_state_display(),
                "since": since.isoformat(),
                "on": self.ctx.on.isoformat(),
            }


def rules_hold(name: str):
    """A django-fsm condition: the model's rules for transition ``name`` hold (the rules
    registered for it in ``RULES``, see ``RuleMixin.blockers``)."""

    def condition(instance) -> bool:
        return not instance.blockers(name)

    condition.__name__ = f"rules_for_{name}"
    return condition


def logged_transition(**kwargs):
    """``@transition(**kwargs)`` whose calls accept ``by=`` and ``description=`` and record
    them in django-fsm-log's StateLog (who and why), in one decorator."""

    def decorate(func):
        return fsm_log_by(fsm_log_description(transition(**kwargs)(func)))

    return decorate


def backfill_state_since(model_names):
    """The day each row entered its current state: the local date of its newest state-log row
    (rows without a history, e.g. bulk-seeded ones, keep no date: the rule then waits for their
    next transition)."""

    def forwards(apps, schema_editor):
        StateLog = apps.get_model("django_fsm_log", "StateLog")
        ContentType = apps.get_model("contenttypes", "ContentType")
        zone = ZoneInfo(settings.TIME_ZONE)
        for app_label, model_name in model_names:
            model = apps.get_model(app_label, model_name)
            ct = ContentType.objects.filter(app_label=app_label, model=model_name).first()
            if ct is None:
                continue
            newest = (
                StateLog.objects.filter(content_type=ct, object_id=OuterRef("pk"))
                .order_by("-timestamp", "-pk")
                .annotate(day=TruncDate("timestamp", tzinfo=zone))
                .values("day")[:1]
            )
            model.objects.update(state_since=Subquery(newest))

    return forwards
