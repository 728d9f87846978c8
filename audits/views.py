"""The auditor's own pages (their audits, a month calendar, the audit with the team leader's
forms, their unavailability, the private calendar feed) and the staff scheduling board.

An auditor sees only the audits they are on: every read goes through selectors.audits_of, so an
audit of someone else is a 404, never a "forbidden" that would confirm it exists. Writes call
the services; a refusal (DomainError) is shown as a form error.
"""

import datetime

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core.dates import add_months, local_today
from core.errors import DomainError

from . import selectors
from . import services as svc
from .audit_time.display import audit_time_text, render_audit_trace
from .forms import FindingForm, ReportForm, StartForm, UnavailabilityForm
from .ical import audit_calendar
from .models import AuditKind, AuditorProfile, AuditState
from .models.auditors import new_calendar_token

MSG_BAD_MONTH = _("“%(value)s” is not a month (use YYYY-MM): showing the current month.")
MSG_BAD_WEEKS = _("The number of weeks must be a whole number from 1 to 52: showing 8.")
MSG_NOT_LEADER = _("Only the team leader of this audit can do this.")
MSG_STARTED = _("The audit has started.")
MSG_REPORTED = _("The report has been submitted.")
MSG_FINDING_RAISED = _("The finding has been recorded.")
MSG_TOKEN_REVOKED = _(
    "A new calendar link has been created; the old one no longer works. Subscribe again with "
    "the new link."
)
MSG_UNAVAILABILITY_SAVED = _("Your unavailability has been recorded.")

DEFAULT_WEEKS = 8


def _audit_or_404(user, pk):
    """One of the user's own audits; any other audit does not exist for them."""
    return get_object_or_404(selectors.audits_of(user), pk=pk)


# -- Lists and calendar ------------------------------------------------------------------------


@login_required
@require_GET
def my_audits(request):
    today = local_today()
    upcoming, past = selectors.audits_of_split(request.user, today=today)
    return render(
        request,
        "audits/my_audits.html",
        {"upcoming": upcoming, "past": past, "today": today},
    )


def _parse_month(value: str | None) -> datetime.date | None:
    """The first day of a month written ``YYYY-MM``; None for anything else."""
    try:
        return datetime.date.fromisoformat(f"{value or ''}-01")
    except ValueError:
        return None


@login_required
@require_GET
def calendar(request):
    today = local_today()
    raw = request.GET.get("month")
    month = _parse_month(raw) if raw else today.replace(day=1)
    if month is None:
        messages.warning(request, MSG_BAD_MONTH % {"value": raw})
        month = today.replace(day=1)
    return render(
        request,
        "audits/calendar.html",
        {
            "month": month,
            "weeks": selectors.month_grid(request.user, month=month),
            "previous": add_months(month, -1).strftime("%Y-%m"),
            "next": add_months(month, 1).strftime("%Y-%m"),
            "today": today,
        },
    )


# -- One audit, and the team leader's actions -------------------------------------------------


def _detail(request, audit, *, status=200, **forms):
    user = request.user
    leads = audit.team_leader_id == user.pk
    today = local_today()
    if leads and audit.state == AuditState.PLANNED:
        forms.setdefault("start_form", StartForm(initial={"on": today}))
        audit.rule_context(on=today, by=user)
        start_blockers = audit.blockers("start")
    else:
        start_blockers = []
    if leads and audit.state == AuditState.IN_PROGRESS:
        forms.setdefault("report_form", ReportForm(audit=audit, initial={"on": today}))
    if leads and audit.state in (AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED):
        forms.setdefault("finding_form", FindingForm(initial={"on": today}))
    start, end = selectors.audit_span(audit)
    return render(
        request,
        "audits/audit_detail.html",
        {
            "audit": audit,
            "leads": leads,
            "start": start,
            "end": end,
            "sites": selectors.audit_sites(audit),
            "sampled": bool(audit.sites.all()),
            "members": [m for m in audit.members.all() if m.pk != audit.team_leader_id],
            "findings": audit.findings.all(),
            "audit_time": audit_time_text(
                audit.audit_days, audit.onsite_days, stage1=audit.kind == AuditKind.STAGE1
            ),
            "audit_time_trace": render_audit_trace(audit.audit_time_trace),
            "start_blockers": start_blockers,
            "may_manage": user.has_perm("audits.manage_audit"),
            **forms,
        },
        status=status,
    )


@login_required
@require_GET
def audit_detail(request, pk):
    return _detail(request, _audit_or_404(request.user, pk))


def _leader_action(request, pk, form_name, make_form, run, done_message):
    """POST handler shared by the three team-leader forms: validate, call the service, show
    its refusal as a form error (status 400), or redirect back with a message."""
    audit = _audit_or_404(request.user, pk)
    if audit.team_leader_id != request.user.pk:
        raise PermissionDenied(MSG_NOT_LEADER)
    form = make_form(audit, request.POST)
    if form.is_valid():
        try:
            run(audit, form.cleaned_data, request.user)
        except DomainError as err:
            for message in err.messages:
                form.add_error(None, message)
        else:
            messages.success(request, done_message)
            return redirect("audits:audit_detail", pk=audit.pk)
    return _detail(request, audit, status=400, **{form_name: form})


@login_required
@require_POST
def audit_start(request, pk):
    return _leader_action(
        request,
        pk,
        "start_form",
        lambda audit, data: StartForm(data),
        lambda audit, d, user: svc.audit_start(audit=audit, by=user, on=d["on"]),
        MSG_STARTED,
    )


@login_required
@require_POST
def audit_report(request, pk):
    return _leader_action(
        request,
        pk,
        "report_form",
        lambda audit, data: ReportForm(data, audit=audit),
        lambda audit, d, user: svc.audit_submit_report(
            audit=audit, recommendation=d["recommendation"], by=user, on=d["on"]
        ),
        MSG_REPORTED,
    )


@login_required
@require_POST
def finding_raise(request, pk):
    return _leader_action(
        request,
        pk,
        "finding_form",
        lambda audit, data: FindingForm(data),
        lambda audit, d, user: svc.finding_raise(
            audit=audit,
            grade=d["grade"],
            clause=d["clause"],
            description=d["description"],
            by=user,
            on=d["on"],
        ),
        MSG_FINDING_RAISED,
    )


# -- Own unavailability ------------------------------------------------------------------------


@login_required
def unavailability(request):
    """An auditor records their own leave and other bookings (staff use the admin)."""
    form = UnavailabilityForm(request.POST or None, auditor=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid() and form.save_or_error() is not None:
            messages.success(request, MSG_UNAVAILABILITY_SAVED)
            return redirect("audits:unavailability")
        status = 400
    return render(
        request,
        "audits/unavailability.html",
        {"form": form, "bookings": selectors.unavailability_of(request.user)},
        status=status,
    )


# -- The private calendar feed -----------------------------------------------------------------


@login_required
@require_GET
def feed_settings(request):
    profile = AuditorProfile.objects.filter(user=request.user).first()
    feed_url = (
        request.build_absolute_uri(reverse("audits:feed", args=[profile.calendar_token]))
        if profile
        else None
    )
    return render(request, "audits/feed.html", {"profile": profile, "feed_url": feed_url})


@login_required
@require_POST
def feed_revoke(request):
    """Replace the feed token: the old URL stops working at once. Creates the profile of a
    user on audit teams who has none yet."""
    profile, created = AuditorProfile.objects.get_or_create(user=request.user)
    if not created:
        profile.calendar_token = new_calendar_token()
        profile.save(update_fields=["calendar_token"])
        messages.success(request, MSG_TOKEN_REVOKED)
    return redirect("audits:feed_settings")


@require_GET
def feed(request, token):
    """The iCalendar feed: no login (calendar apps cannot log in), the secret is the token."""
    profile = (
        AuditorProfile.objects.select_related("user")
        .filter(calendar_token=token, user__is_active=True)
        .first()
    )
    if profile is None:
        raise Http404
    body = audit_calendar(
        profile, selectors.feed_audits(profile.user), now=timezone.now().replace(microsecond=0)
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="certbody-audits.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


# -- The staff scheduling board ----------------------------------------------------------------


@login_required
@permission_required("audits.manage_audit", raise_exception=True)
@require_GET
def schedule_board(request):
    today = local_today()
    weeks = DEFAULT_WEEKS
    raw = request.GET.get("weeks")
    if raw:
        try:
            weeks = int(raw)
            if not 1 <= weeks <= 52:
                raise ValueError
        except ValueError:
            messages.warning(request, MSG_BAD_WEEKS)
            weeks = DEFAULT_WEEKS
    audits = selectors.board_audits(today=today, weeks=weeks)
    return render(
        request,
        "audits/schedule_board.html",
        {
            "today": today,
            "weeks": weeks,
            "horizon": today + datetime.timedelta(weeks=weeks),
            "to_staff": selectors.audits_to_staff(audits),
            "conflicts": selectors.schedule_conflicts(audits),
        },
    )


# -- The admin's front door -----------------------------------------------------------------------
# Who needs the admin's index: administrators (they configure users, groups and everything
# else) and CB staff (they keep the configuration the workspace does not edit: audit-time
# tables, auditor profiles and qualifications, bookings). Auditors and decision makers do their
# whole day's work in the workspace and their own pages.
ADMIN_NEEDED_BY = ("auth.change_user", "audits.manage_audit", "certificates.manage_certification")


def needs_admin_index(user) -> bool:
    """Whether the admin's index is a place ``user`` works from (see ADMIN_NEEDED_BY)."""
    return user.is_superuser or any(user.has_perm(perm) for perm in ADMIN_NEEDED_BY)


def admin_index(request, extra_context=None):
    """/admin/: a signed-in user who does not work in the admin (an auditor, a decision maker)
    goes to the workspace (``workspace:home``); everyone else gets the admin's index, which
    links to the workspace. Mounted before ``admin.site.urls`` (certbody/urls.py)."""
    user = request.user
    if user.is_authenticated and user.is_active and not needs_admin_index(user):
        return redirect("workspace:home")
    return admin.site.admin_view(admin.site.index)(request, extra_context=extra_context)
