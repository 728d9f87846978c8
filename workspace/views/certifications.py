"""The certification page (facts, timeline, the actions allowed now and the blocked ones with
their reasons), taking one action through its small form, and a certificate version's PDF.

Reads through certificates/selectors/timeline.py (need-to-know filtered); every action is a
transition taken through certificates.actions (core/actions.py ``take``) and its service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse

from certificates import public_status
from certificates.actions import CERTIFICATION_ACTIONS, before_action, notices_after
from certificates.documents import certificate_pdf_file, certificate_pdf_name
from certificates.models import Certificate, Certification
from certificates.pdf import CertificateMarkError
from certificates.public_status import certification_public_status
from certificates.selectors.timeline import (
    certificate_versions,
    certification_audits,
    certification_for_page,
    timeline,
)
from core.actions import ActionUnavailable, action_form, blockers_now, check, offers, take
from core.dates import local_today
from core.need_to_know import visible
from core.transitions import transition_label

from ..access import workspace_page
from ..http import action_done, safe_next
from . import gaps, soa

# The next step of a certification whose form is shown open where it is offered: planning
# the stage the rules allow now (the form proposes dates and a team leader).
OPEN_FORMS = ("begin_stage1", "begin_stage2")
# Actions whose form is only the date (today): one click where they are offered.
ONE_CLICK = ("start_review", "submit_for_decision")


def load_certification(request, pk) -> Certification:
    """The certification ``request.user`` may see, else 404 (never confirming it exists)."""
    try:
        return certification_for_page(request.user, pk)
    except Certification.DoesNotExist:
        raise Http404 from None


def page_facts(cert) -> dict:
    """What the state and dates mean today: past its expiry date a certification is expired
    whatever the nightly task has recorded (shared/domain.md: dates rule, not jobs)."""
    today = local_today()
    return {
        "today": today,
        "past_expiry": cert.past_expiry_on(today),
        "surveillance_overdue": bool(
            cert.state == "active"
            and cert.next_surveillance_due
            and cert.next_surveillance_due < today
        ),
        "restoration_until": cert.restoration_window_end() if cert.state == "expired" else None,
        # Ended at the client's request or its ceasing (注销): the state says Withdrawn (the
        # same transition), the page says Cancelled beside it.
        "cancelled": cert.state == "withdrawn"
        and certification_public_status(cert) == public_status.CANCELLED,
    }


def next_steps(cert, user, cert_offers, *, next_url: str) -> dict:
    """What the page shows ready to take beside the buttons: ``quick`` {name: form} of the
    one-click actions allowed now, and ``open``: the stage plan allowed now with its form
    (proposed dates and team leader), or None."""
    allowed = [o for o in cert_offers if o.allowed]
    quick = {
        o.name: action_form(cert, CERTIFICATION_ACTIONS, o.name)
        for o in allowed
        if o.name in ONE_CLICK
    }
    step = next((o for o in allowed if o.name in OPEN_FORMS), None)
    opened = None
    if step is not None:
        opened = {
            "name": step.name,
            "label": step.label,
            "form": action_form(cert, CERTIFICATION_ACTIONS, step.name),
            "blockers": step.blockers,
            "next": next_url,
            "action_url": reverse("workspace:certification_action", args=[cert.pk, step.name]),
        }
    return {"quick": quick, "open": opened}


def certification_steps(cert, user, *, next_url: str) -> dict:
    """The certification's next steps offered on another page (the audit page once the audit
    is closed): ``offers`` the allowed one-click and stage-plan actions, with ``quick`` and
    ``open`` as ``next_steps`` gives them; ``cert``; ``next`` where to go afterwards."""
    wanted = [
        o
        for o in offers(cert, CERTIFICATION_ACTIONS, user)
        if o.allowed and o.name in ONE_CLICK + OPEN_FORMS
    ]
    steps = next_steps(cert, user, wanted, next_url=next_url)
    return {**steps, "offers": wanted, "cert": cert, "next": next_url}


@workspace_page()
def certification(request, pk):
    cert = load_certification(request, pk)
    audits = certification_audits(cert, request.user)
    versions = certificate_versions(cert, request.user)
    cert_offers = offers(cert, CERTIFICATION_ACTIONS, request.user)
    context = {
        "cert": cert,
        "facts": page_facts(cert),
        "audits": audits,
        "versions": versions,
        "entries": timeline(cert, request.user, audits=audits, versions=versions),
        "offers": cert_offers,
        "steps": next_steps(cert, request.user, cert_offers, next_url=request.get_full_path()),
        # Who decides: the designation form (staff), workspace/views/gaps.py.
        "designation": gaps.designation(cert, request),
        # ISO/IEC 27001: the Statement of Applicability version (workspace/views/soa.py).
        "soa": soa.soa_form(cert, request),
    }
    return render(request, "workspace/certifications/certification.html", context)


def _next_url(request, cert) -> str:
    """Where to go after the action: the page it was taken from (same site only), else the
    certification page."""
    return safe_next(request, reverse("workspace:certification", args=[cert.pk]))


def _done(request, cert, name, before):
    label = transition_label(cert, name)
    return action_done(request, label, _next_url(request, cert), notices_after(before))


@workspace_page()
def certification_action(request, pk, name):
    """GET: the small form of action ``name`` (with what blocks it now); POST: take it. A user
    without the transition's permission gets 403; an action the state does not allow goes
    back to the page with the reason; a refusal of the rules is shown on the form."""
    cert = load_certification(request, pk)
    before = before_action(cert.pk) if request.method == "POST" else None
    try:
        if request.method == "POST":
            taken = take(cert, CERTIFICATION_ACTIONS, name, request.POST, request.user)
            if taken.done:
                return _done(request, cert, name, before)
            form = taken.form
        else:
            check(cert, CERTIFICATION_ACTIONS, name, request.user)
            form = action_form(cert, CERTIFICATION_ACTIONS, name)
    except ActionUnavailable as err:
        for message in err.messages:
            messages.error(request, message)
        return redirect("workspace:certification", pk=cert.pk)
    context = {
        "cert": cert,
        "name": name,
        "label": transition_label(cert, name),
        "form": form,
        "blockers": blockers_now(cert, name, request.user),
        "next": _next_url(request, cert),
        "action_url": reverse("workspace:certification_action", args=[cert.pk, name]),
    }
    template = "workspace/certifications/action.html"
    if getattr(request, "htmx", False):
        template = "workspace/_action_form.html"
    return render(request, template, context)


@workspace_page()
def certificate_pdf(request, pk):
    """A certificate version's PDF, for those who may see its certification (rendered and
    stored first if missing); never from MEDIA_URL."""
    if not request.user.has_perm("certificates.view_certificate"):
        raise PermissionDenied
    certificate = get_object_or_404(visible(Certificate.objects.all(), request.user), pk=pk)
    try:
        document = certificate_pdf_file(certificate)
    except CertificateMarkError as error:  # a mark's file gone since the start: say which
        messages.error(request, str(error))
        return redirect("workspace:certification", pk=certificate.certification_id)
    return FileResponse(
        document,
        as_attachment=True,
        filename=certificate_pdf_name(certificate),
        content_type="application/pdf",
    )


urlpatterns = [
    path("certifications/<int:pk>/", certification, name="certification"),
    path(
        "certifications/<int:pk>/do/<slug:name>/",
        certification_action,
        name="certification_action",
    ),
    path("certificates/<int:pk>/pdf/", certificate_pdf, name="certificate_pdf"),
]
