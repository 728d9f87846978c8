"""Two small forms that spare staff the admin: designating a certification's decision maker
(on the certification page, and on the decision page while the file has none) and recording a
client's administrative penalty (on the client page).

Each reads through core.need_to_know.visible (outside it: 404) and writes through its service
(certificates.services.certification_designate_decision_maker, clients.services.penalty_record);
a refusal is shown in words on the form or as a message, nothing changed."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certificates.errors import CertificationError
from certificates.models import Certification
from certificates.selectors.timeline import certification_for_page
from certificates.services import certification_designate_decision_maker
from clients.models import Client
from clients.services import ADD_PENALTY, ClientError, penalty_record
from core.dates import local_today
from core.names import person_name
from core.need_to_know import visible

from ..access import Role, workspace_page
from ..forms.gaps import DesignateForm, PenaltyForm
from ..http import safe_next

DESIGNATE_PERMISSION = "certificates.change_certification"
MSG_NOT_ALLOWED = gettext_lazy(
    "Only who may change certifications (an administrator) designates the decision maker: "
    "nothing was changed."
)


def may_designate(user) -> bool:
    """Who may designate a decision maker: as in the admin, who may change a certification
    (the Administrator group; the service checks it again). CB staff manage certifications but
    do not hold it: they are told so in words."""
    return user.is_active and user.has_perm(DESIGNATE_PERMISSION)


def designation(cert, request, form=None) -> dict | None:
    """The designation form's context for a page showing ``cert`` (None: not for this user)."""
    if not may_designate(request.user):
        return None
    form = form or DesignateForm(cert=cert)
    return {
        "form": form,
        "barred": [(person_name(user), reasons) for user, reasons in form.barred.items()],
        "action_url": reverse("workspace:certification_decision_maker", args=[cert.pk]),
        "next": request.get_full_path(),
    }


def load_certification(request, pk) -> Certification:
    """The certification ``request.user`` may see, else 404 (as the certification page)."""
    try:
        return certification_for_page(request.user, pk)
    except Certification.DoesNotExist:
        raise Http404 from None


def _back(request, cert) -> str:
    return safe_next(request, reverse("workspace:certification", args=[cert.pk]))


@workspace_page(Role.STAFF)
def certification_decision_maker(request, pk):
    """GET: the form on a page of its own; POST: designate. Refused by the rules (not a
    decision maker, on an audit team, a conflict of interest), the form again with the reasons;
    a change made meanwhile, a message; nothing changed either way."""
    cert = load_certification(request, pk)
    if not may_designate(request.user):
        messages.error(request, MSG_NOT_ALLOWED)
        return redirect("workspace:certification", pk=cert.pk)
    form = DesignateForm(request.POST if request.method == "POST" else None, cert=cert)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["decision_maker"]
        cert.revision = form.cleaned_data["revision"]  # as the user saw it: conflicts show
        try:
            certification_designate_decision_maker(
                certification=cert, decision_maker=chosen, by=request.user
            )
        except CertificationError as err:
            for message in err.messages:
                messages.error(request, message)
            return redirect(_back(request, cert))
        messages.success(
            request,
            _("%(person)s is now the designated decision maker.") % {"person": person_name(chosen)},
        )
        return redirect(_back(request, cert))
    if request.method == "POST":
        messages.error(request, _("Nothing was changed: correct the form below."))
    context = {"cert": cert, "designation": designation(cert, request, form)}
    return render(request, "workspace/gaps/decision_maker.html", context)


@workspace_page(Role.STAFF)
def client_penalty_new(request, pk):
    """GET: the penalty form on a page of its own; POST: record it (clients.add_penalty),
    then back to the client page; refused, the form again with the reasons."""
    client = get_object_or_404(visible(Client.objects.all(), request.user), pk=pk)
    if not request.user.has_perm(ADD_PENALTY):
        raise PermissionDenied
    form = PenaltyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                penalty_record(
                    client=client,
                    decided_on=data["decided_on"],
                    authority=data["authority"],
                    reference=data["reference"],
                    decision=data["decision"],
                    by=request.user,
                    on=local_today(),
                )
            except ClientError as err:
                for message in err.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Administrative penalty recorded."))
                return redirect(reverse("workspace:client", args=[client.pk]) + "#pen-h")
        messages.error(request, _("Nothing was recorded: correct the fields marked below."))
    return render(request, "workspace/gaps/penalty.html", {"client": client, "form": form})


urlpatterns = [
    path(
        "certifications/<int:pk>/decision-maker/",
        certification_decision_maker,
        name="certification_decision_maker",
    ),
    path("clients/<int:pk>/penalties/new/", client_penalty_new, name="client_penalty_new"),
]
