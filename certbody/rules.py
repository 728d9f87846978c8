"""The bridge between django-fsm conditions and rules that need a date or a person.

django-fsm calls a condition with the instance only, but our rules need the date they are
judged on (``on``), who acts (``by``) and sometimes a justification. A service sets these on
the instance with ``rule_context(...)`` before calling a transition; each transition has one
condition, ``rules_hold(name)``, which asks the model's ``blockers(name)`` for the reasons the
transition may not be taken. The same reasons are shown to staff next to the button, so the
reviewer sees exactly what is missing.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

MSG_BEFORE_STATE_SINCE = _(
    "This %(object)s has been “%(state)s” since %(since)s: an action on it cannot be dated "
    "%(on)s, before that."
)


@dataclass
class RuleContext:
    on: datetime.date
    by: Any = None
    extra: dict = field(default_factory=dict)


class RuleContextMissing(RuntimeError):
    """A transition was checked without saying on which date: a programming error."""


class RuleMixin:
    """Mixed into models whose transitions are guarded by ``rules_hold``."""

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
        """Plain-language reasons the transition ``name`` may not be taken now (empty: go)."""
        check = getattr(self, f"_blockers_{name}", None)
        reasons = [str(m) for m in self._chronology_blockers()]
        return reasons + ([str(m) for m in check()] if check else [])

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
    """A django-fsm condition: the model's rules for transition ``name`` hold."""

    def condition(instance) -> bool:
        return not instance.blockers(name)

    condition.__name__ = f"rules_for_{name}"
    return condition


def logged_transition(**kwargs):
    """``@transition(**kwargs)`` whose calls accept ``by=`` and ``description=`` and record
    them in django-fsm-log's StateLog (who and why), in one decorator."""
    from django_fsm import transition
    from django_fsm_log.decorators import fsm_log_by, fsm_log_description

    def decorate(func):
        return fsm_log_by(fsm_log_description(transition(**kwargs)(func)))

    return decorate


def backfill_state_since(model_names):
    """The day each row entered its current state: the local date of its newest state-log row
    (rows without a history, e.g. bulk-seeded ones, keep no date: the rule then waits for their
    next transition)."""

    def forwards(apps, schema_editor):
        from zoneinfo import ZoneInfo

        from django.conf import settings
        from django.db.models import OuterRef, Subquery
        from django.db.models.functions import TruncDate

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
