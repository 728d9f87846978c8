"""Recording a client's administrative penalty in the workspace (workspace:client_penalty_new,
the form on the client page): staff holding clients.add_penalty only; the date a plausible past
date; shown in the client's penalties; refused in words with nothing recorded."""

import datetime
import re

import pytest
from django.urls import reverse

from clients.models import Penalty
from clients.services import ClientError, penalty_record
from core.dates import local_today
from tests.audits.factories import all_standards_auditor
from tests.factories import ClientFactory
from tests.lifecycle import pending

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def new_url(client):
    return reverse("workspace:client_penalty_new", args=[client.pk])


def page_url(client):
    return reverse("workspace:client", args=[client.pk])


GOOD = {
    "decided_on": "2025-03-04",
    "authority": "北京市市场监督管理局",
    "reference": "京市监罚2025-12号",
    "decision": "虚假宣传 罚款 2 万元",
}


def test_staff_record_a_penalty_from_the_client_page(people):
    client = ClientFactory()
    http = signed_in(people.staff)
    page = http.get(page_url(client))
    assert f'action="{new_url(client)}"' in page.content.decode()
    response = http.post(new_url(client), GOOD)
    assert response.status_code == 302
    assert response["Location"].startswith(page_url(client))
    penalty = Penalty.objects.get(client=client)
    assert penalty.decided_on == D(2025, 3, 4) and penalty.authority == GOOD["authority"]
    body = text(http.get(page_url(client)))
    assert "Administrative penalty recorded." in body
    assert "2025-03-04 北京市市场监督管理局 (京市监罚2025-12号): 虚假宣传" in body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"decided_on": "2999-01-01"}, "is not a plausible date"),
        ({"decided_on": "1850-01-01"}, "is not a plausible date"),
        ({"decided_on": "not a date"}, "Enter a valid date."),
        ({"decided_on": ""}, "This field is required."),
        ({"authority": ""}, "This field is required."),
        ({"decision": ""}, "This field is required."),
    ],
)
def test_bad_input_gives_a_clear_message(people, changes, message):
    client = ClientFactory()
    response = signed_in(people.staff).post(new_url(client), {**GOOD, **changes})
    assert response.status_code == 200
    body = text(response)
    assert message in body
    assert "Nothing was recorded" in body
    assert not Penalty.objects.filter(client=client).exists()


def test_a_date_after_today_is_refused(people):
    client = ClientFactory()
    tomorrow = local_today() + datetime.timedelta(days=1)
    response = signed_in(people.staff).post(
        new_url(client), {**GOOD, "decided_on": tomorrow.isoformat()}
    )
    assert response.status_code == 200
    assert "is after today" in text(response)
    assert not Penalty.objects.exists()


@pytest.mark.parametrize("role", ["decider", "auditor"])
def test_others_may_not_record(people, role):
    cert, _a, _f = pending(people)
    client = cert.client
    user = getattr(people, role)
    http = signed_in(user)
    page = http.get(page_url(client))
    assert page.status_code == 200  # the auditor audits it, the decider is office
    assert new_url(client) not in page.content.decode()
    assert http.get(new_url(client)).status_code == 403
    assert http.post(new_url(client), GOOD).status_code == 403
    assert not Penalty.objects.exists()


def test_an_auditor_not_on_its_audits_is_refused(people):
    client = ClientFactory()
    other = all_standards_auditor("outsider")
    assert signed_in(other).post(new_url(client), GOOD).status_code in (403, 404)
    assert not Penalty.objects.exists()


def test_anonymous_go_to_login(client):
    target = ClientFactory()
    response = client.post(new_url(target), GOOD)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Penalty.objects.exists()


def test_the_form_page_itself(people):
    client = ClientFactory()
    response = signed_in(people.staff).get(new_url(client))
    assert response.status_code == 200
    assert "Record an administrative penalty" in text(response)


def test_the_service_refuses_in_words(people):
    client = ClientFactory()
    with pytest.raises(ClientError) as err:
        penalty_record(
            client=client,
            decided_on=D(2026, 12, 8),
            authority=" ",
            decision="x",
            by=people.staff,
            on=D(2026, 12, 7),
        )
    assert err.value.messages == [
        "2026-12-08 is after today (2026-12-07): a penalty is recorded once it was decided.",
        "Name the authority that imposed the penalty.",
    ]
    with pytest.raises(ClientError) as err:
        penalty_record(
            client=client,
            decided_on=D(2026, 1, 8),
            authority="a",
            decision="x",
            by=people.decider,
            on=D(2026, 12, 7),
        )
    assert "You do not have permission" in err.value.messages[0]
    assert not Penalty.objects.exists()
