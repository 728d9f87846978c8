"""The audit page's ready-to-take steps (workspace:audit): the report form shown open with the
recommendation of the audit's kind proposed; a finding raised on the page by the team leader;
an audit recorded held with its report in one step; a finding's only step shown open; and
staff closing a report together with the certification's next step (plan stage 2, submit for
decision) — each through its rules and services, both or neither; refused for who must not."""

import datetime
import re

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from audits import services as audit_svc
from audits.models import Audit, AuditState, Finding
from certificates.models import State
from core.dates import local_today
from tests import lifecycle as lc
from tests.lifecycle import build

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date


def url(audit):
    return reverse("workspace:audit", args=[audit.pk])


def stage1_of(cert) -> Audit:
    return cert.audits.get(kind="stage1")


def running_stage1(people) -> Audit:
    """Stage 1 planned for 2024-10-01..02 (people.auditor leads it), started."""
    audit = stage1_of(build(people, State.STAGE1))
    return audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2024, 10, 1))


def reported_stage1(people) -> Audit:
    audit = running_stage1(people)
    return audit_svc.audit_submit_report(
        audit=audit, recommendation="ready", by=people.auditor, on=D(2024, 10, 2)
    )


def reported_stage2(people) -> Audit:
    cert = build(people, State.STAGE2)  # stage 2 planned 2024-11-04..06
    audit = cert.audits.get(kind="stage2")
    audit = audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2024, 11, 4))
    return audit_svc.audit_submit_report(
        audit=audit, recommendation="recommend", by=people.auditor, on=D(2024, 11, 6)
    )


def selected(html: str, name: str) -> str | None:
    """The value selected in the <select name=...> of ``html``."""
    select = re.search(rf'<select name="{name}".*?</select>', html, flags=re.S)
    assert select, name
    found = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(0))
    return found.group(1) if found else None


# -- the report -----------------------------------------------------------------------------
def test_the_report_form_is_open_with_the_kinds_recommendation_proposed(people):
    audit = running_stage1(people)
    html = signed_in(people.auditor).get(url(audit)).content.decode()
    action = reverse("workspace:audit_action", args=[audit.pk, "submit_report"])
    block = html[html.rindex("<details", 0, html.index(f'action="{action}"')) :]
    assert block.startswith('<details class="action" open>')
    form = block[: block.index("</form>")]
    assert selected(form, "recommendation") == "ready"
    # Only the recommendations of a stage 1 are offered.
    assert 'value="not_ready"' in form and 'value="recommend"' not in form


def test_the_stage2_report_proposes_to_recommend_certification(people):
    cert = build(people, State.STAGE2)
    audit = audit_svc.audit_start(
        audit=cert.audits.get(kind="stage2"), by=people.auditor, on=D(2024, 11, 4)
    )
    html = signed_in(people.auditor).get(url(audit)).content.decode()
    assert selected(html, "recommendation") == "recommend"


# -- findings on the page ---------------------------------------------------------------------
def test_the_leader_raises_a_finding_on_the_audit_page(people):
    audit = running_stage1(people)
    raise_url = reverse("workspace:finding_raise", args=[audit.pk])
    html = signed_in(people.auditor).get(url(audit)).content.decode()
    assert f'action="{raise_url}"' in html
    data = {
        "finding-grade": "minor",
        "finding-clause": "8.5.1.3",
        "finding-description": "Change records lack approval.",
        "finding-on": "2024-10-01",
    }
    response = signed_in(people.auditor).post(raise_url, data)
    assert response.status_code == 302 and response["Location"] == url(audit)
    finding = Finding.objects.get(audit=audit)
    assert (finding.grade, finding.clause, finding.raised_on) == (
        "minor",
        "8.5.1.3",
        D(2024, 10, 1),
    )
    # Its plan is the finding's only step: shown open, ready to fill in.
    html = signed_in(people.auditor).get(url(audit)).content.decode()
    accept = reverse("workspace:finding_action", args=[finding.pk, "accept_plan"])
    block = html[html.rindex("<details", 0, html.index(f'action="{accept}"')) :]
    assert block.startswith('<details class="action" open>')


def test_raising_a_finding_is_refused_to_who_must_not(people):
    audit = running_stage1(people)
    raise_url = reverse("workspace:finding_raise", args=[audit.pk])
    data = {"finding-grade": "major", "finding-description": "x", "finding-on": "2024-10-01"}
    assert signed_in(people.decider).post(raise_url, data).status_code == 403
    assert signed_in(people.staff).post(raise_url, data).status_code == 403
    assert signed_in(people.auditor2).post(raise_url, data).status_code == 404  # not on it
    # The leader, but without a description: the form says so, nothing recorded.
    response = signed_in(people.auditor).post(raise_url, {**data, "finding-description": ""})
    assert response.status_code == 400
    assert not Finding.objects.filter(audit=audit).exists()
    staff_page = signed_in(people.staff).get(url(audit)).content.decode()
    assert f'action="{raise_url}"' not in staff_page


# -- an audit recorded held ----------------------------------------------------------------------
def test_the_leader_records_the_audit_held_with_its_report_in_one_step(people):
    audit = stage1_of(build(people, State.STAGE1))
    held = reverse("workspace:audit_held", args=[audit.pk])
    html = signed_in(people.auditor).get(url(audit)).content.decode()
    assert f'action="{held}"' in html
    assert selected(html, "held-recommendation") == "ready"
    data = {"held-first_day": "2024-10-01", "held-on": "2024-10-02", "held-recommendation": "ready"}
    response = signed_in(people.auditor).post(held, data)
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.state == AuditState.REPORT_SUBMITTED
    assert (audit.actual_start, audit.actual_end) == (D(2024, 10, 1), D(2024, 10, 2))
    assert audit.recommendation == "ready"
    steps = list(
        StateLog.objects.for_(audit)
        .order_by("timestamp", "pk")
        .values_list("transition", flat=True)
    )
    assert steps == ["start", "submit_report"]


def test_recording_held_is_refused_to_who_must_not_and_checks_its_days(people):
    audit = stage1_of(build(people, State.STAGE1))
    held = reverse("workspace:audit_held", args=[audit.pk])
    data = {"held-first_day": "2024-10-01", "held-on": "2024-10-02", "held-recommendation": "ready"}
    assert signed_in(people.decider).post(held, data).status_code == 403
    assert signed_in(people.auditor2).post(held, data).status_code == 404
    late = {**data, "held-on": "2024-09-30"}  # the last day before the first
    assert signed_in(people.auditor).post(held, late).status_code == 400
    future = (local_today() + datetime.timedelta(days=1)).isoformat()
    assert signed_in(people.auditor).post(held, {**data, "held-on": future}).status_code == 400
    audit.refresh_from_db()
    assert audit.state == AuditState.PLANNED and audit.actual_start is None
    # Once started, the report form takes over: no "held" form any more.
    audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2024, 10, 1))
    assert f'action="{held}"' not in signed_in(people.auditor).get(url(audit)).content.decode()


# -- staff: close and the certification's next step ---------------------------------------------
def test_staff_close_stage1_and_plan_stage2_in_one_step(people):
    audit = reported_stage1(people)
    cert = audit.certification
    combined = reverse("workspace:audit_close_then", args=[audit.pk, "begin_stage2"])
    html = signed_in(people.staff).get(url(audit)).content.decode()
    assert f'action="{combined}"' in html
    # Stage 1's leader is proposed for stage 2.
    assert selected(html, "team_leader") == str(people.auditor.pk)
    assert f'action="{combined}"' not in signed_in(people.decider).get(url(audit)).content.decode()
    start = local_today() + datetime.timedelta(days=10)
    data = {
        "on": local_today().isoformat(),
        "planned_start": start.isoformat(),
        "planned_end": (start + datetime.timedelta(days=1)).isoformat(),
        "team_leader": people.auditor.pk,
        # Stage 1 (2024) is older than its validity: the rules ask why it still holds.
        "justification": "The system has not changed since stage 1 (client's statement).",
    }
    assert signed_in(people.decider).post(combined, data).status_code == 403
    audit.refresh_from_db()
    assert audit.state == AuditState.REPORT_SUBMITTED
    response = signed_in(people.staff).post(combined, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:certification", args=[cert.pk])
    audit.refresh_from_db()
    cert.refresh_from_db()
    assert audit.state == AuditState.CLOSED and cert.state == State.STAGE2
    stage2 = cert.audits.get(kind="stage2")
    assert (stage2.planned_start, stage2.team_leader) == (start, people.auditor)


def test_close_and_plan_changes_nothing_when_the_plan_is_refused(people):
    audit = reported_stage1(people)
    cert = audit.certification
    combined = reverse("workspace:audit_close_then", args=[audit.pk, "begin_stage2"])
    data = {"on": local_today().isoformat(), "planned_start": "", "planned_end": ""}
    response = signed_in(people.staff).post(combined, data)
    assert response.status_code == 400
    audit.refresh_from_db()
    cert.refresh_from_db()
    assert audit.state == AuditState.REPORT_SUBMITTED  # the close was rolled back
    assert cert.state == State.STAGE1 and not cert.audits.filter(kind="stage2").exists()
    # A step that does not follow this audit: refused with a message.
    other = reverse("workspace:audit_close_then", args=[audit.pk, "submit_for_decision"])
    assert signed_in(people.staff).post(other, data).status_code == 302
    audit.refresh_from_db()
    assert audit.state == AuditState.REPORT_SUBMITTED


def test_staff_close_stage2_and_submit_for_decision_in_one_step(people):
    audit = reported_stage2(people)
    cert = audit.certification
    combined = reverse("workspace:audit_close_then", args=[audit.pk, "submit_for_decision"])
    assert f'action="{combined}"' in signed_in(people.staff).get(url(audit)).content.decode()
    # A close dated before the report: refused by the rules, nothing changed.
    assert signed_in(people.staff).post(combined, {"on": "2024-11-01"}).status_code == 400
    audit.refresh_from_db()
    assert audit.state == AuditState.REPORT_SUBMITTED
    response = signed_in(people.staff).post(combined, {"on": local_today().isoformat()})
    assert response.status_code == 302
    audit.refresh_from_db()
    cert.refresh_from_db()
    assert audit.state == AuditState.CLOSED and cert.state == State.DECISION_PENDING


def test_a_closed_stage1_offers_the_stage2_plan_on_the_audit_page(people):
    today = local_today()
    cert = lc.apply(people, received_on=today - datetime.timedelta(days=30))
    cert = lc.accept(cert, people, today - datetime.timedelta(days=25))
    cert, audit = lc.stage1(cert, people, start=today - datetime.timedelta(days=5))
    plan = reverse("workspace:certification_action", args=[cert.pk, "begin_stage2"])
    html = signed_in(people.staff).get(url(audit)).content.decode()
    assert "Next for the certification" in html and f'action="{plan}"' in html
    assert f'action="{plan}"' not in signed_in(people.decider).get(url(audit)).content.decode()
    assert f'action="{plan}"' not in signed_in(people.auditor).get(url(audit)).content.decode()


def test_the_auditor_pages_link_back_to_the_workspace_audit(people):
    cert = build(people, State.STAGE1)
    audit = cert.audits.get(kind="stage1")
    page = signed_in(people.auditor).get(reverse("audits:audit_detail", args=[audit.pk]))
    assert f'href="{reverse("workspace:audit", args=[audit.pk])}"' in page.content.decode()
