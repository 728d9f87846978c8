"""The certification's next step ready to take (workspace:certification and the audit page):
the stage-plan form shown open and proposing its dates and team leader
(certificates.actions.suggested_stage_plan), and the actions that need only their date taken
in one click (submit for decision)."""

import datetime
import re

import pytest
from django.urls import reverse

from audits.models import AuditKind
from audits.services import auditor_suggestions
from certificates.actions import next_working_day, stage_length, suggested_stage_plan
from certificates.models import State
from core.dates import local_today
from tests import lifecycle as lc
from tests.audits.factories import leave
from tests.lifecycle import build

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date


def page(user, cert) -> str:
    return signed_in(user).get(reverse("workspace:certification", args=[cert.pk])).content.decode()


def recent_stage1(people):
    """A certification whose stage 1 (led by people.auditor) closed ready a few days ago."""
    today = local_today()
    cert = lc.apply(people, received_on=today - datetime.timedelta(days=30))
    cert = lc.accept(cert, people, today - datetime.timedelta(days=25))
    cert, audit = lc.stage1(cert, people, start=today - datetime.timedelta(days=5))
    cert.refresh_from_db()
    return cert, audit


def test_next_working_day_skips_the_weekend():
    assert next_working_day(D(2026, 12, 4)) == D(2026, 12, 7)  # Friday -> Monday
    assert next_working_day(D(2026, 12, 7)) == D(2026, 12, 8)


def test_the_stage1_plan_proposes_the_next_working_day_and_the_top_suggestion(people):
    cert = build(people, State.ACCEPTED)
    plan = suggested_stage_plan(cert, AuditKind.STAGE1)
    start = next_working_day(local_today())
    end = start + datetime.timedelta(days=stage_length(cert, AuditKind.STAGE1) - 1)
    assert (plan["planned_start"], plan["planned_end"]) == (start, end)
    probe = cert.audits.model(certification=cert, kind=AuditKind.STAGE1)
    top = auditor_suggestions(audit=probe, planned_start=start, planned_end=end)[0]
    assert plan["team_leader"] == top.user.pk
    # The page shows the form open with these values.
    html = page(people.staff, cert)
    form = html[html.index('id="action-form"') :]
    assert f'value="{start.isoformat()}"' in form
    assert re.search(rf'<option value="{top.user.pk}" selected>', form)


def test_the_plan_moves_to_a_day_someone_is_free(people):
    cert = build(people, State.ACCEPTED)
    first = next_working_day(local_today())
    away = first + datetime.timedelta(days=14)
    for user in (people.auditor, people.auditor2):
        leave(user, first, away)
    plan = suggested_stage_plan(cert, AuditKind.STAGE1)
    assert plan["planned_start"] > away
    assert plan["planned_start"].weekday() < 5


def test_the_stage2_plan_keeps_stage1s_leader_after_stage1(people):
    cert, stage1 = recent_stage1(people)
    first = next_working_day(local_today())
    leave(people.auditor, first, first)  # stage 1's leader is away on the first day
    plan = suggested_stage_plan(cert, AuditKind.STAGE2)
    assert plan["team_leader"] == people.auditor.pk
    assert plan["planned_start"] > max(first, stage1.actual_end)
    assert plan["planned_start"].weekday() < 5


def test_submit_for_decision_is_one_click(people):
    cert = build(people, State.STAGE2)
    audit = cert.audits.get(kind="stage2")
    lc.run_audit(
        audit, people, start=D(2024, 11, 4), end=D(2024, 11, 6), recommendation="recommend"
    )
    action = reverse("workspace:certification_action", args=[cert.pk, "submit_for_decision"])
    html = page(people.staff, cert)
    form = html[html.index(f'action="{action}"') :]
    form = form[: form.index("</form>")]
    assert 'name="on"' in form and "Submit for decision</button>" in form
    assert f'action="{action}"' not in page(people.decider, cert)
    today = local_today().isoformat()
    assert signed_in(people.decider).post(action, {"on": today}).status_code == 403
    cert.refresh_from_db()
    assert cert.state == State.STAGE2
    response = signed_in(people.staff).post(
        action, {"on": today, "revision": cert.revision, "next": "/work/"}
    )
    assert response.status_code == 302 and response["Location"] == "/work/"
    cert.refresh_from_db()
    assert cert.state == State.DECISION_PENDING
