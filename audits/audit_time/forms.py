"""Forms of audit time: the band check of a table's rows (admin inline) and the "Calculate
audit time" page of an application (personnel, factors, integration, sampled sites). Forms
only collect input; ``audit_time_calculate`` (services.py) calculates and refuses."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.policy import policy

from .tables import Band, table_problems


class BandFormSet(forms.BaseInlineFormSet):
    """Overlapping bands are refused; gaps are kept as warnings for the page."""

    def clean(self):
        super().clean()
        bands = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            low, high, days = (
                data.get("min_personnel"),
                data.get("max_personnel"),
                data.get("days"),
            )
            if low is None or high is None or days is None:
                continue
            if high < low:
                form.add_error("max_personnel", _("The band ends before it starts."))
                continue
            bands.append(Band(low, high, days))
        errors, self.band_warnings = table_problems(bands, standard=str(self.instance.standard))
        if errors:
            raise forms.ValidationError(errors)


# -- the "Calculate audit time" page of an application ----------------------------------------
class AuditTimeForm(forms.Form):
    on = forms.DateField(label=_("Calculated on"), widget=forms.DateInput(attrs={"type": "date"}))
    personnel = forms.IntegerField(
        label=_("Effective personnel"),
        min_value=1,
        help_text=_("All staff in the scope, part-timers as full-time equivalents."),
    )
    integration_percent = forms.DecimalField(
        label=_("Integration reduction (%)"),
        required=False,
        min_value=0,
        help_text=_("Integrated audit of several standards (IAF MD 11): at most %(cap)s%%."),
    )
    integration_justification = forms.CharField(
        label=_("Why (integration)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["integration_percent"].help_text = self.fields[
            "integration_percent"
        ].help_text % {"cap": policy("AUDIT_TIME_MAX_INTEGRATION_PERCENT")}

    def integration(self):
        percent = self.cleaned_data.get("integration_percent")
        why = self.cleaned_data.get("integration_justification", "")
        if percent in (None, 0) and not why:
            return None
        return {"percent": percent if percent is not None else "", "justification": why}


class FactorForm(forms.Form):
    percent = forms.DecimalField(
        label=_("Adjustment (%)"),
        required=False,
        help_text=_("+10 increases the time by 10 percent of the table time, -5 reduces it."),
    )
    justification = forms.CharField(label=_("Justification"), required=False)


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Site"), required=False)
    personnel = forms.IntegerField(label=_("Personnel"), required=False, min_value=1)
    reduction_percent = forms.DecimalField(
        label=_("Site reduction (%)"), required=False, min_value=0
    )
    justification = forms.CharField(label=_("Justification"), required=False)


FactorFormSet = forms.formset_factory(FactorForm, extra=3)
SiteFormSet = forms.formset_factory(SiteForm, extra=2)
