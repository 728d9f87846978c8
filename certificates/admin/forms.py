"""The admin's forms for the certificates app: the transition buttons' inputs (stage plans,
sanctions, scope) and the pages that record an application, an extension or an upload."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from certificates import services as svc
from certificates.models import CertSearchUpload, ScopeExtension
from clients.models import Application
from core.admin_transitions import ReasonForm, TransitionForm
from core.dates import not_after_today


def _auditors():
    """People with an auditor profile (the team rules refuse anyone else)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, auditor_profile__isnull=False)
        .order_by("username")
    )


class StagePlanForm(TransitionForm):
    planned_start = forms.DateField(
        label=_("Planned start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_end = forms.DateField(
        label=_("Planned end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    team_leader = forms.ModelChoiceField(label=_("Team leader"), queryset=_auditors())
    members = forms.ModelMultipleChoiceField(
        label=_("Team members"), queryset=_auditors(), required=False
    )
    technical_experts = forms.ModelMultipleChoiceField(
        label=_("Technical experts"), queryset=_auditors(), required=False
    )
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required for a repeated stage 1, or a stage 2 long after stage 1."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team_leader"].queryset = _auditors()
        self.fields["members"].queryset = _auditors()
        self.fields["technical_experts"].queryset = _auditors()

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end is before the planned start."))
        return data


class ScopeForm(ReasonForm):
    scope = forms.CharField(label=_("New scope"), widget=forms.Textarea(attrs={"rows": 4}))


class SanctionForm(ReasonForm):
    """Suspension and withdrawal: the reason, and whether the client asked for it (then it is
    not for its own failings and does not bar a new application, CNCA-QMS-01:2025)."""

    at_client_request = forms.BooleanField(
        label=_("At the client's request"),
        required=False,
        help_text=_("Suspended or withdrawn because the client asked for it."),
    )


class ScopeExtensionForm(forms.ModelForm):
    """A new extension application: on an active certification, sites of its client."""

    class Meta:
        model = ScopeExtension
        fields = ("certification", "received_on", "services", "scope", "sites")
        widgets = {"received_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "received_on" in self.fields:
            self.fields["received_on"].validators.append(not_after_today)

    def clean(self):
        data = super().clean()
        cert = data.get("certification")
        if cert is not None:
            for problem in svc.scope_extension_apply_problems(
                certification=cert,
                received_on=data.get("received_on"),
                services=data.get("services"),
                scope=data.get("scope"),
                sites=data.get("sites") or (),
            ):
                self.add_error(None, problem)
        return data


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


class CertSearchUploadForm(forms.ModelForm):
    uploaded = forms.BooleanField(
        label=_("Uploaded to IAF CertSearch"),
        required=False,
        help_text=_("Tick once this month's files are uploaded: the reminders stop."),
    )

    class Meta:
        model = CertSearchUpload
        fields = ()


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = (
            "client",
            "standards",
            "received_on",
            "scope",
            "sites",
            "effective_personnel",
            "language",
            "system_operating_since",
            "internal_audit_on",
            "management_review_on",
            "no_penalty_declared",
            "legal_registration_checked",
            "impartiality_threats",
            "notes",
        )

    def clean(self):
        data = super().clean()
        if not self.instance.pk and data.get("client") and data.get("standards"):
            for problem in svc.application_open_problems(
                client=data["client"], standards=data["standards"]
            ):
                self.add_error("standards", problem)
        return data
