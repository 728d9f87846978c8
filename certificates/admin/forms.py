"""The admin's forms for the certificates app: the pages that record an application, an
extension or an upload. The action forms (the certification's stage plans, sanctions, scope:
certificates/actions.py; the scope extension's review and special audit:
certificates/actions_scope.py) are shared with the workspace."""

from django import forms
from django.utils.translation import gettext_lazy as _

from certificates import services as svc
from certificates.models import CertSearchUpload, ScopeExtension
from clients.models import Application
from core.dates import not_after_today


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
