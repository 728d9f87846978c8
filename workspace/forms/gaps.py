"""The small forms of the last daily work that needed the admin: designating a certification's
decision maker, recording a client's administrative penalty. Each only collects and checks what
was typed; the services (certification_designate_decision_maker, clients.services.penalty_record)
make the change."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from certificates.selectors.decision_makers import decision_maker_choices, designation_problems
from clients.models import Penalty
from core.dates import local_today, not_after_today, plausible_date
from core.names import person_name

MSG_CHOOSE = _("Choose a decision maker from the list.")


class DeciderField(forms.ModelChoiceField):
    """A decision maker, shown as people write their name; someone left out of the list is
    refused with the reasons (an impartiality rule), not with "not one of the choices"."""

    def __init__(self, *args, barred=None, **kwargs):
        self.barred = {user.pk: reasons for user, reasons in (barred or {}).items()}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return person_name(obj)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            key = str(value)
            if key.isdigit() and int(key) in self.barred:
                raise ValidationError(self.barred[int(key)]) from None
            raise ValidationError(MSG_CHOOSE) from None


class DesignateForm(forms.Form):
    """Whom staff designate to decide on ``cert``: only decision makers free to decide (the
    others listed with why, ``barred``); the revision the page showed, so a change made
    meanwhile is a conflict."""

    decision_maker = DeciderField(queryset=None, label=_("Decision maker"))
    revision = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, cert, **kwargs):
        kwargs.setdefault("initial", {"revision": cert.revision})
        super().__init__(*args, **kwargs)
        self.cert = cert
        self.on = local_today()
        free, self.barred = decision_maker_choices(cert, on=self.on)
        field = self.fields["decision_maker"]
        field.barred = {user.pk: reasons for user, reasons in self.barred.items()}
        field.queryset = (
            get_user_model()
            .objects.filter(pk__in=[u.pk for u in free])
            .order_by("last_name", "first_name", "pk")
        )
        field.empty_label = _("— choose —")
        if cert.decision_maker_id and any(u.pk == cert.decision_maker_id for u in free):
            self.initial.setdefault("decision_maker", cert.decision_maker_id)

    def clean_decision_maker(self):
        user = self.cleaned_data["decision_maker"]
        problems = designation_problems(self.cert, user, on=self.on)
        if problems:
            raise ValidationError(problems)
        return user


class PenaltyForm(forms.ModelForm):
    """An administrative penalty found for the client (shared/domain.md, Intake 4): its date is
    a real past date."""

    class Meta:
        model = Penalty
        fields = ("decided_on", "authority", "reference", "decision")
        widgets = {
            "decided_on": forms.DateInput(attrs={"type": "date"}),
            "decision": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].validators += [plausible_date, not_after_today]
