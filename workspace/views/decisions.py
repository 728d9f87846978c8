"""Decisions: the certifications awaiting a decision (mine first, oldest first; CSV/XLSX),
and the decision page, the summary a decision maker decides on with the grant / refuse forms
right there (through certificates.actions and the services: a grant issues the certificate
and queues its PDF)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certificates.actions import CERTIFICATION_ACTIONS, before_action, notices_after
from certificates.selectors.decision import (
    DECISIONS_ON_AUDITS,
    awaiting_decision,
    decision_summary,
)
from core.actions import ActionUnavailable, action_form, offers, take
from core.dates import local_today
from core.names import person_name
from core.transitions import transition_label
from infra.exports import FORMATS, Column, export_response
from infra.paging import window

from ..access import OFFICE, workspace_page
from . import gaps
from .certifications import load_certification, page_facts

EXPORT_COLUMNS = [
    Column(gettext_lazy("Client"), lambda c: c.client.legal_name),
    Column(gettext_lazy("Standard"), lambda c: str(c.standard)),
    Column(gettext_lazy("State"), lambda c: c.get_state_display()),
    Column(gettext_lazy("Waiting since"), lambda c: c.state_since),
    Column(gettext_lazy("Designated decision maker"), lambda c: person_name(c.decision_maker)),
    Column(gettext_lazy("Certificate number"), lambda c: c.certificate_number),
    Column(gettext_lazy("City"), lambda c: c.client.city),
]


@workspace_page(*OFFICE)
def decisions(request):
    rows = awaiting_decision(request.user)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(
            fmt,
            filename=f"decisions-{local_today().isoformat()}",
            columns=EXPORT_COLUMNS,
            rows=rows.iterator(chunk_size=2000),
        )
    page = window(rows, request.GET.get("page"))
    return render(
        request,
        "workspace/decisions/list.html",
        {"page": page, "today": local_today(), "formats": FORMATS},
    )


def _decision_forms(cert, user, bound=None):
    """(offer, form) for each decision on audits the state allows; the form only where the
    user holds the permission (a decision maker), the one just posted bound with its errors."""
    result = []
    for offer in offers(cert, CERTIFICATION_ACTIONS, user, only_permitted=False):
        if offer.name not in DECISIONS_ON_AUDITS:
            continue
        form = None
        if offer.permitted:
            if bound is not None and bound[0] == offer.name:
                form = bound[1]
            else:
                form = action_form(cert, CERTIFICATION_ACTIONS, offer.name)
        result.append((offer, form))
    return result


@workspace_page(*OFFICE)
def decision(request, pk):
    """GET: the summary; POST (``action`` = grant, refuse, ...): take the decision; refused by
    the rules, the page again with the reasons on the form, nothing changed."""
    cert = load_certification(request, pk)
    bound = None
    if request.method == "POST":
        name = request.POST.get("action", "")
        before = before_action(cert.pk)
        try:
            if name not in DECISIONS_ON_AUDITS:
                raise ActionUnavailable(_("Choose a decision."))
            taken = take(cert, CERTIFICATION_ACTIONS, name, request.POST, request.user)
        except ActionUnavailable as err:
            for message in err.messages:
                messages.error(request, message)
            return redirect("workspace:decision", pk=cert.pk)
        if taken.done:
            messages.success(
                request, _("Done: %(action)s.") % {"action": transition_label(cert, name)}
            )
            for level, text in notices_after(before):
                (messages.warning if level == "warning" else messages.info)(request, text)
            return redirect("workspace:certification", pk=cert.pk)
        bound = (name, taken.form)
        cert = load_certification(request, pk)  # as it is: the failed service changed nothing
    today = local_today()
    summary = decision_summary(cert, request.user, on=today)
    context = {
        "cert": cert,
        "facts": page_facts(cert),
        "summary": summary,
        "decisions": _decision_forms(cert, request.user, bound),
        "may_decide": request.user.has_perm("certificates.decide_certification"),
        # A file without a decision maker: staff designate one here (workspace/views/gaps.py).
        "designation": None if cert.decision_maker_id else gaps.designation(cert, request),
    }
    return render(request, "workspace/decisions/decision.html", context)


urlpatterns = [
    path("decisions/", decisions, name="decisions"),
    path("certifications/<int:pk>/decision/", decision, name="decision"),
]
