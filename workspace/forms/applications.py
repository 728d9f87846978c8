"""Forms of the application pages: a new application (sites of this client only, all ticked,
personnel from the client) and the intake facts edited on the intake page. Forms only
collect input; certificates.services record it and refuse."""

from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from certificates.services import application_open_problems
from clients.models import Application, Standard
from core.dates import local_today, not_after_today, plausible_date
from core.languages import mark_language_parts

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MSG_OPERATING_AFTER_RECEIVED = _(
    "The management system cannot start operating after the application."
)


class IntakeFactsForm(forms.ModelForm):
    """The facts intake rests on; ``client`` limits the sites to the applicant's own."""

    class Meta:
        model = Application
        fields = (
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
        widgets = {
            "received_on": DATE,
            "system_operating_since": DATE,
            "internal_audit_on": DATE,
            "management_review_on": DATE,
            "scope": forms.Textarea(attrs={"rows": 2}),
            "impartiality_threats": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "sites": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        # Sites of this client only: a site id of another client posted anyway is refused
        # as an invalid choice.
        self.fields["sites"].queryset = client.sites.all()
        # "杭州总部 (杭州)" on an English page: the name marked with its language (SC 3.1.2).
        self.fields["sites"].label_from_instance = lambda site: mark_language_parts(
            str(site), get_language()
        )
        self.fields["language"] = forms.ChoiceField(
            label=capfirst(Application._meta.get_field("language").verbose_name),
            choices=[(code, name) for code, name in settings.LANGUAGES],
        )
        self.fields["received_on"].validators.append(not_after_today)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.validators.insert(0, plausible_date)

    def clean(self):
        data = super().clean()
        since, received = data.get("system_operating_since"), data.get("received_on")
        if since and received and since > received:
            self.add_error("system_operating_since", MSG_OPERATING_AFTER_RECEIVED)
        return data


class NewApplicationForm(IntakeFactsForm):
    """A new application of ``client``: its standards, then the same facts."""

    standards = forms.ModelMultipleChoiceField(
        label=_("Standards"),
        queryset=Standard.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one standard.")},
    )

    class Meta(IntakeFactsForm.Meta):
        fields = ("standards", *IntakeFactsForm.Meta.fields)

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, client=client, **kwargs)
        self.fields["standards"].queryset = Standard.objects.filter(is_active=True)
        self.order_fields(["standards"])
        if not self.is_bound:
            self.initial.setdefault("received_on", local_today())
            self.initial.setdefault("effective_personnel", client.effective_personnel)
            self.initial.setdefault("sites", list(client.sites.values_list("pk", flat=True)))
            self.initial.setdefault("language", "zh-hans")
            standards = list(self.fields["standards"].queryset[:2])
            if len(standards) == 1:
                self.initial.setdefault("standards", [standards[0].pk])
            self._from_latest_application(client)

    def _from_latest_application(self, client) -> None:
        """A client applying again (after a rejection, refusal or withdrawal): the standards
        of its latest application that may be applied for again, and its scope, proposed."""
        latest = client.applications.order_by("-received_on", "-pk").first()
        if latest is None:
            return
        self.initial.setdefault("scope", latest.scope)
        active = self.fields["standards"].queryset
        again = [s for s in latest.standards.all() if s in active]
        if again and not application_open_problems(client=client, standards=again):
            self.initial.setdefault("standards", [s.pk for s in again])

    def clean(self):
        data = super().clean()
        if data.get("standards"):
            for problem in application_open_problems(
                client=self.client, standards=data["standards"]
            ):
                self.add_error("standards", problem)
        return data

    def submit_fields(self) -> dict:
        """The cleaned fields as application_submit takes them (besides client and
        standards)."""
        return {name: self.cleaned_data[name] for name in IntakeFactsForm.Meta.fields}


class AcceptForm(forms.Form):
    on = forms.DateField(
        label=_("Accepted on"), widget=DATE, validators=[plausible_date, not_after_today]
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "accept_%s")  # several date fields on one page
        super().__init__(*args, **kwargs)


class ReceiveForm(forms.Form):
    """The checklist's common inputs: the day ticked documents were received."""

    on = forms.DateField(
        label=_("Received on"), widget=DATE, validators=[plausible_date, not_after_today]
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "receive_%s")
        super().__init__(*args, **kwargs)
