"""The workspace's form for applying for a scope extension from the certification page: what
is added (services, sites of this client only), the whole scope after it, the date received.
The service (certificates.services.scope_extension_apply) decides whether it can be recorded."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Site
from core.dates import local_today, not_after_today, plausible_date


class SiteChoiceField(forms.ModelMultipleChoiceField):
    in_scope: frozenset = frozenset()  # the sites the certification already covers

    def label_from_instance(self, obj):
        where = ", ".join(x for x in (obj.city, obj.address) if x)
        label = f"{obj.name} ({where})" if where else obj.name
        if obj.pk in self.in_scope:
            label = _("%(site)s: already in scope") % {"site": label}
        return label


class ScopeExtensionApplyForm(forms.Form):
    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[plausible_date, not_after_today],
    )
    services = forms.CharField(
        label=_("Services added"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the extension adds to the certified scope."),
    )
    scope = forms.CharField(
        label=_("Scope after the extension"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The whole scope as the new certificate version will print it."),
    )
    sites = SiteChoiceField(
        label=_("Sites added"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only this client's sites are offered."),
    )

    def __init__(self, *args, certification, **kwargs):
        kwargs.setdefault("initial", {"received_on": local_today(), "scope": certification.scope})
        super().__init__(*args, **kwargs)
        sites = self.fields["sites"]
        sites.queryset = Site.objects.filter(client_id=certification.client_id).order_by(
            "name", "pk"
        )
        if certification.application_id:
            sites.in_scope = frozenset(certification.application.sites.values_list("pk", flat=True))
