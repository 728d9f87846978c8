"""The Statement of Applicability version of an ISO/IEC 27001 certification (Standard.requires_soa),
recorded by staff on the certification page. The form only collects what was typed; the service
(certificates.services.certification_record_soa_version) makes the change."""

from django import forms
from django.utils.translation import gettext_lazy as _

from certificates.models import Certification


class SoaVersionForm(forms.Form):
    """The SoA version and the revision the page showed, so a change made meanwhile is a
    conflict."""

    soa_version = forms.CharField(
        label=Certification._meta.get_field("soa_version").verbose_name,
        max_length=Certification._meta.get_field("soa_version").max_length,
        required=False,
        help_text=_(
            "The version of the client's Statement of Applicability the scope rests on, e.g. "
            "“V2.1”. The next certificate version prints it with the scope."
        ),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, cert, **kwargs):
        kwargs.setdefault("initial", {"revision": cert.revision, "soa_version": cert.soa_version})
        super().__init__(*args, **kwargs)
        self.cert = cert
