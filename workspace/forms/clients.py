"""The client form of the workspace: the client's facts, its sites and its contacts on one
page (a new client is one submit: its central function is made from its address when no site
is entered, its first contact is its primary contact)."""

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Contact, Site, TechnicalArea

MSG_TWO_CENTRAL = _("Only one site can be the central function.")
MSG_SITE_IN_USE = _(
    "The site %(site)s cannot be removed: an application, audit or scope extension refers to "
    "it (the records keep it)."
)
MSG_DELETE_NOT_ALLOWED = _("You may not remove %(what)s: nothing was removed.")


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = (
            "legal_name",
            "english_name",
            "trading_name",
            "registration_id",
            "country",
            "province",
            "city",
            "address",
            "postcode",
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
            "trading_name": forms.TextInput(attrs={"size": 40}),
            "registration_id": forms.TextInput(attrs={"size": 22, "autocomplete": "off"}),
            "postcode": forms.TextInput(attrs={"size": 10, "autocomplete": "postal-code"}),
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
        # Country, province and postcode: the site's own address as IAF CertSearch lists it
        # (a site abroad); activities: its scope on a multi-site certificate (ISO/IEC 17021-1
        # 8.2.2). Empty country: the client's.
        fields = (
            "name",
            "is_central",
            "country",
            "province",
            "city",
            "address",
            "postcode",
            "personnel",
            "activities",
        )
        widgets = {
            "address": forms.TextInput(attrs={"size": 36}),
            "province": forms.TextInput(attrs={"size": 10}),
            "postcode": forms.TextInput(attrs={"size": 8}),
            "activities": forms.Textarea(attrs={"rows": 2, "cols": 30}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["personnel"].widget.attrs["style"] = "width:6rem"

    def clean_personnel(self):
        return self.cleaned_data.get("personnel") or 0


class DeletePermissionFormSet(forms.BaseInlineFormSet):
    """A formset offering "remove" only to a user with the model's delete permission
    (``user``; CB staff have none: "none deletes a record something rests on"). A DELETE
    posted anyway by a user without it is refused, not ignored."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        meta = self.model._meta
        self.may_delete = user.has_perm(f"{meta.app_label}.delete_{meta.model_name}")
        super().__init__(*args, **kwargs)
        self.can_delete = self.may_delete

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A row of a table whose column headers are the labels: each field names itself to a
        # screen reader (WCAG 2.1 SC 1.3.1, 4.1.2; tests/test_axe.py).
        for field in form.fields.values():
            if field.label:
                field.widget.attrs.setdefault("aria-label", field.label)

    def deleting(self) -> list:
        """The saved rows ticked for removal (the user may remove them)."""
        return [
            f.instance
            for f in self.initial_forms
            if getattr(f, "cleaned_data", None) and f.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if not self.may_delete and any(
            f"{form.prefix}-DELETE" in self.data for form in self.initial_forms
        ):
            raise forms.ValidationError(
                MSG_DELETE_NOT_ALLOWED % {"what": self.model._meta.verbose_name_plural}
            )


class BaseSiteFormSet(DeletePermissionFormSet):
    """At most one central function. When none is ticked and the client has none yet, the
    view makes it from the client's own address (one row less to fill for most clients).
    A site an application, audit or scope extension refers to is never removed (its records
    would lose it: the certificate prints the application's sites)."""

    def clean(self):
        super().clean()
        in_use = [
            site
            for site in self.deleting()
            if site.application_set.exists()
            or site.audits.exists()
            or site.scope_extensions.exists()
        ]
        if in_use:
            raise forms.ValidationError([MSG_SITE_IN_USE % {"site": site} for site in in_use])
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
ContactFormSet = inlineformset_factory(
    Client,
    Contact,
    form=ContactForm,
    formset=DeletePermissionFormSet,
    extra=1,
    can_delete=True,
)
