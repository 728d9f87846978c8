"""The scope extension's actions, for every interface (the staff admin and the workspace): for
each transition of ``ScopeExtension.state`` its small form and the service it calls
(core/actions.py: ``offers``, ``take``), as certificates/actions.py does for the
certification.

    review      (CB staff)        a special audit is needed, or why none is
    plan_audit  (CB staff)        the special audit: dates and team (the audit services' rules)
    grant       (decision maker)  the new certificate version, through ``extend_scope``
    refuse      (decision maker)  the certification stays as it is
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from certificates import services as svc
from core.actions import ActionTable, ReasonForm, TransitionAction, TransitionForm, preview_inputs

from .actions import StagePlanForm


class ExtensionReviewForm(TransitionForm):
    audit_needed = forms.TypedChoiceField(
        label=_("Special audit"),
        choices=[
            ("", "---------"),
            ("yes", _("A special audit is needed")),
            ("no", _("No audit is needed (record why)")),
        ],
        coerce=lambda value: value == "yes",
        empty_value=None,
    )
    justification = forms.CharField(
        label=_("Why no audit is needed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class ExtensionAuditForm(StagePlanForm):
    justification = None  # the audit's purpose is the extension


def extension_preview_inputs(extension) -> dict:
    """What the forms will supply, assumed given when the buttons show their blockers (the
    review is assumed to say whether an audit is needed)."""
    return {**preview_inputs(extension), "audit_needed": True}


# -- adapters: the form's cleaned data -> the service's keywords ------------------------------
def _review(obj, d, user, on):
    return svc.scope_extension_review(
        extension=obj,
        audit_needed=d["audit_needed"],
        justification=d["justification"],
        by=user,
        on=on,
    )


def _plan_audit(obj, d, user, on):
    return svc.scope_extension_plan_audit(
        extension=obj,
        planned_start=d["planned_start"],
        planned_end=d["planned_end"],
        team_leader=d["team_leader"],
        members=d["members"],
        technical_experts=d.get("technical_experts") or (),
        by=user,
        on=on,
    )


def _grant(obj, d, user, on):
    return svc.scope_extension_grant(extension=obj, reason=d["reason"], by=user, on=on)


def _refuse(obj, d, user, on):
    return svc.scope_extension_refuse(extension=obj, reason=d["reason"], by=user, on=on)


SCOPE_EXTENSION_ACTIONS: ActionTable = {
    "review": TransitionAction(ExtensionReviewForm, _review),
    "plan_audit": TransitionAction(ExtensionAuditForm, _plan_audit),
    "grant": TransitionAction(ReasonForm, _grant),
    "refuse": TransitionAction(ReasonForm, _refuse),
}
