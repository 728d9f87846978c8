"""The client form of the workspace: the client's facts, its sites and its contacts on one
page (a new client is one submit: its central function is made from its address when no site
is entered, its first contact is its primary contact)."""

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Contact, Site, TechnicalArea

MSG_TWO_CENTRAL = _("Only one site can be the central function.")


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = (
            "legal_name",
            "english_name",
            "registration_id",
            "country",
            "city",
            "address",
            "effective_personnel",
            "technical_areas",
            "certsearch_consent",
            "restricted_listing",
            "notes",
        )
        widgets = {
            "technical_areas": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 2}),
            "address": forms.TextInput(attrs={"size": 50}),
            "legal_name": forms.TextInput(attrs={"size": 40, "autofocus": True}),
            "english_name": forms.TextInput(attrs={"size": 40}),
            "registration_id": forms.TextInput(attrs={"size": 22, "autocomplete": "off"}),
            "country": forms.TextInput(attrs={"size": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technical_areas"].queryset = TechnicalArea.objects.order_by("code")
        if not self.instance.pk and not self.initial.get("technical_areas"):
            # IT services (IAF 33) is what most applicants of this body do.
            self.initial["technical_areas"] = list(
                TechnicalArea.objects.filter(code=33).values_list("pk", flat=True)
            )


class SiteForm(forms.ModelForm):
    # Blank on an empty row (not the model's default 0), so that an untouched row is skipped.
    personnel = forms.IntegerField(label=_("Personnel"), required=False, min_value=0)

    class Meta:
        model = Site
        fields = ("name", "is_central", "city", "address", "personnel")
        widgets = {
            "address": forms.TextInput(attrs={"size": 36}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["personnel"].widget.attrs["style"] = "width:6rem"

    def clean_personnel(self):
        return self.cleaned_data.get("personnel") or 0


class BaseSiteFormSet(forms.BaseInlineFormSet):
    """At most one central function. When none is ticked and the client has none yet, the
    view makes it from the client's own address (one row less to fill for most clients)."""

    def clean(self):
        super().clean()
        central = [
            f
            for f in self.forms
            if getattr(f, "cleaned_data", None)
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("is_central")
        ]
        if len(central) > 1:
            raise forms.ValidationError(MSG_TWO_CENTRAL)


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ("name", "role", "phone", "email", "is_primary")


SiteFormSet = inlineformset_factory(
    Client, Site, form=SiteForm, formset=BaseSiteFormSet, extra=1, can_delete=True
)
ContactFormSet = inlineformset_factory(Client, Contact, form=ContactForm, extra=1, can_delete=True)
