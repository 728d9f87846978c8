"""The team of an audit (workspace:audit_team): the team now, the form to change it, and the
suggestions (qualified, impartial, free, nearest first, with the distance from the auditor's
home city) each added with one click. Every change goes through audits.services
(audit_set_team): refusals are shown in words, warnings (TeamWarnings) are shown with a
button that saves the same team acknowledging them. Without JavaScript every button is a
plain form; with htmx the team part of the page is swapped in place.

The planning board's "assign the nearest" posts ``auto=1``: the first team-leader suggestion
becomes the team leader, through the same service and the same warnings."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from audits import services as svc
from audits.actions import TeamPickForm, current_team, team_in_form, team_suggestions, team_without
from audits.models import Audit, AuditRole, AuditState
from audits.selectors import audit_page as page
from core.dates import local_today
from core.errors import DomainError
from core.names import person_name
from core.need_to_know import visible

from ..access import Role, workspace_page
from ..http import safe_next

MANAGE = "audits.manage_audit"

MSG_SAVED = _("The team is set and booked.")
MSG_NOT_PLANNED = _("The team can be changed only while the audit is planned.")
MSG_NOBODY = _("Nobody qualified is free on these days: choose the team by hand.")
MSG_AUTO = _("%(person)s, the nearest qualified auditor free on these days, is the team leader.")


def _audit(request, pk):
    return get_object_or_404(page.audit_for_page(visible(Audit.objects.all(), request.user)), pk=pk)


def _next_url(request):
    """Where to go after saving: a ``next`` on this site (the planning board), else None."""
    return safe_next(request)


def _render(request, audit, *, form=None, warnings=(), status=200):
    manages = request.user.has_perm(MANAGE) and audit.state == AuditState.PLANNED
    team = current_team(audit)
    members = page.team_of(audit)
    proposed = team
    if form is not None and form.is_bound and warnings:
        proposed = {
            "team_leader": form.data.get("team_leader") or None,
            "members": form.data.getlist("members"),
            "technical_experts": form.data.getlist("technical_experts"),
        }
    context = {
        "audit": audit,
        "team": members,
        # Each member but the leader can be taken off with one click (a new leader replaces
        # the old one from the suggestions or the form).
        "removals": {
            user.pk: team_in_form(team_without(team, user.pk))
            for user, role in members
            if role != AuditRole.TEAM_LEADER
        },
        "manages": manages,
        "form": form or (TeamPickForm(initial=team, audit=audit) if manages else None),
        "warnings": list(warnings),
        "acknowledge": team_in_form(proposed) if warnings else [],
        "suggestions": team_suggestions(audit, team) if audit.state == AuditState.PLANNED else [],
        "next": _next_url(request) or "",
        "roles": AuditRole,
    }
    template = (
        "workspace/audits/_team.html"
        if getattr(request, "htmx", False)
        else "workspace/audits/team.html"
    )
    # htmx swaps only 2xx answers: refusals come back as 200 with their messages in place.
    return render(request, template, context, status=200 if request.htmx else status)


def _auto_data(audit) -> QueryDict | None:
    """The form data making the nearest free qualified auditor the team leader (the rest of
    the team kept), or None when there is nobody."""
    suggestions = svc.auditor_suggestions(audit=audit, role=AuditRole.TEAM_LEADER)
    if not suggestions:
        return None
    team = current_team(audit)
    team["team_leader"] = suggestions[0].user.pk
    team["members"] = [pk for pk in team["members"] if pk != team["team_leader"]]
    team["technical_experts"] = [
        pk for pk in team["technical_experts"] if pk != team["team_leader"]
    ]
    data = QueryDict(mutable=True)
    for name, value in team_in_form(team):
        data.appendlist(name, str(value))
    return data


@workspace_page(Role.STAFF, Role.DECIDER)
@require_http_methods(["GET", "POST"])
def team_view(request, pk):
    audit = _audit(request, pk)
    if request.method == "GET":
        return _render(request, audit)
    if not request.user.has_perm(MANAGE):
        raise PermissionDenied
    if audit.state != AuditState.PLANNED:
        messages.error(request, MSG_NOT_PLANNED)
        return _render(request, audit, status=400)
    data = request.POST
    if data.get("auto"):
        data = _auto_data(audit)
        if data is None:
            messages.error(request, MSG_NOBODY)
            return _render(request, audit, status=400)
        if request.POST.get("acknowledge_warnings"):
            data["acknowledge_warnings"] = "on"
    form = TeamPickForm(data, audit=audit)
    if not form.is_valid():
        return _render(request, audit, form=form, status=400)
    d = form.cleaned_data
    try:
        result = svc.audit_set_team(
            audit=audit,
            team_leader=d["team_leader"],
            members=d["members"],
            technical_experts=d["technical_experts"],
            by=request.user,
            on=local_today(),
            acknowledge_warnings=d["acknowledge_warnings"],
        )
    except svc.TeamWarnings as err:
        return _render(request, audit, form=form, warnings=err.warnings)
    except DomainError as err:
        for message in err.messages:
            form.add_error(None, message)
        return _render(request, audit, form=form, status=400)
    for warning in result.warnings:
        messages.warning(request, warning)
    if request.POST.get("auto"):
        messages.success(request, MSG_AUTO % {"person": person_name(d["team_leader"])})
    else:
        messages.success(request, MSG_SAVED)
    target = _next_url(request)
    if target and not request.htmx:
        return redirect(target)
    if request.htmx:
        return _render(request, _audit(request, pk))
    return redirect("workspace:audit_team", pk=audit.pk)


urlpatterns = [path("audits/<int:pk>/team/", team_view, name="audit_team")]
