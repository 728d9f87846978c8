"""The stage planning page warns when the planned auditor-days fall short of the calculated
audit time (issue 15 item 9): a warning, the stage is planned all the same."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audits.models import Audit
from tests import lifecycle as lc

D = datetime.date
pytestmark = pytest.mark.django_db


def plan_stage1(client, cert, people, end):
    url = reverse("admin:certificates_certification_transition", args=[cert.pk, "begin_stage1"])
    return client.post(
        url,
        {
            "on": "2024-09-20",
            "planned_start": "2024-10-08",
            "planned_end": end,
            "team_leader": people.auditor.pk,
            "revision": cert.revision,
        },
    )


def test_planning_a_stage_short_of_its_audit_time_warns(client, people):
    cert = lc.accept(lc.apply(people, received_on=D(2024, 9, 1)), people, D(2024, 9, 10))
    cert.refresh_from_db()
    client.force_login(people.staff)
    response = plan_stage1(client, cert, people, "2024-10-08")  # one auditor, one day
    assert response.status_code == 302
    stage1 = Audit.objects.get(certification=cert, kind="stage1")
    assert stage1.audit_days > 1
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings == [
        f"{stage1}: Audit time: 1 auditor(s) on the team x 1 planned day(s) = 1 auditor-days, "
        f"less than the calculated {stage1.audit_days} auditor-days (technical experts do not "
        "count): add auditors or days."
    ]
