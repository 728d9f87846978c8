"""Recording the Statement of Applicability version of an ISO/IEC 27001 certification
(Standard.requires_soa) on the certification page: the certificate prints it with the scope,
and the decisions that issue a certificate version wait for it (certificates/rules.py,
soa_version_recorded). Read through the certification page's selector (outside need-to-know:
404); written through certificates.services.certification_record_soa_version."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certificates.errors import CertificationError
from certificates.models import Certification
from certificates.selectors.timeline import certification_for_page
from certificates.services import certification_record_soa_version

from ..access import workspace_page
from ..forms.soa import SoaVersionForm
from ..http import safe_next

PERMISSION = "certificates.manage_certification"
MSG_NOT_ALLOWED = gettext_lazy(
    "Only who manages certifications (CB staff) records the Statement of Applicability "
    "version: nothing was changed."
)


def may_record(user) -> bool:
    return user.is_active and user.has_perm(PERMISSION)


def soa_form(cert, request, form=None) -> dict | None:
    """The form's context for the certification page (None: not for this user, or a standard
    whose certificates give no SoA version and none recorded)."""
    if not may_record(request.user):
        return None
    if not (cert.standard.requires_soa or cert.soa_version):
        return None
    return {
        "form": form or SoaVersionForm(cert=cert),
        "action_url": reverse("workspace:certification_soa_version", args=[cert.pk]),
        "next": request.get_full_path(),
    }


def _load(request, pk) -> Certification:
    try:
        return certification_for_page(request.user, pk)
    except Certification.DoesNotExist:
        raise Http404 from None


@workspace_page()
def certification_soa_version(request, pk):
    """GET: the form on a page of its own; POST: record. A change made meanwhile, a message;
    nothing changed."""
    cert = _load(request, pk)
    back = safe_next(request, reverse("workspace:certification", args=[cert.pk]))
    if not may_record(request.user):  # refused in words, nothing changed
        messages.error(request, MSG_NOT_ALLOWED)
        context = {"cert": cert, "soa": None}
        return render(request, "workspace/certifications/soa_version.html", context, status=403)
    form = SoaVersionForm(request.POST if request.method == "POST" else None, cert=cert)
    if request.method == "POST" and form.is_valid():
        cert.revision = form.cleaned_data["revision"]  # as the user saw it: conflicts show
        try:
            cert = certification_record_soa_version(
                certification=cert, soa_version=form.cleaned_data["soa_version"], by=request.user
            )
        except CertificationError as err:
            for message in err.messages:
                messages.error(request, message)
            return redirect(back)
        if cert.soa_version:
            messages.success(
                request,
                _("Statement of Applicability version recorded: %(version)s.")
                % {"version": cert.soa_version},
            )
        else:
            messages.success(request, _("The Statement of Applicability version was cleared."))
        return redirect(back)
    if request.method == "POST":
        messages.error(request, _("Nothing was changed: correct the form below."))
    context = {"cert": cert, "soa": soa_form(cert, request, form)}
    return render(request, "workspace/certifications/soa_version.html", context)


urlpatterns = [
    path(
        "certifications/<int:pk>/soa-version/",
        certification_soa_version,
        name="certification_soa_version",
    ),
]
