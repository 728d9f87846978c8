"""Intake, China (CNCA-QMS-01:2025; shared/domain.md, Intake 5): an applicant whose certificate
for the standard was suspended or withdrawn for its own failings in the 12 months before the
application is not accepted (policy CERTBODY_REFUSE_AFTER_SUSPENSION_MONTHS, 0 turns it off).
A suspension or withdrawal the client asked for does not count."""

import datetime

import pytest

from certificates import services as svc
from certificates.models import Decision, DecisionOutcome, State
from certificates.services import CertificationError
from tests import lifecycle as lc

D = datetime.date
pytestmark = pytest.mark.django_db

GRANTED = D(2024, 1, 15)
FAILINGS = "监督审核发现严重不符合 / Major nonconformity at surveillance."
REQUEST = "客户因业务调整申请撤销认证 / Withdrawal requested by the client."


def withdrawn(people, *, on=D(2024, 6, 3), at_client_request=False):
    cert = lc.certified(people, decided_on=GRANTED)
    svc.certification_withdraw(
        certification=cert,
        reason=REQUEST if at_client_request else FAILINGS,
        by=people.decider,
        on=on,
        at_client_request=at_client_request,
    )
    cert.refresh_from_db()
    return cert


def reapply(people, cert, received_on):
    """A new application of the same client for the same standard, under review."""
    cert = lc.apply(people, client=cert.client, std=cert.standard, received_on=received_on)
    return svc.certification_start_review(
        certification=cert, by=people.staff, on=received_on + datetime.timedelta(days=2)
    )


def accept(cert, people, received_on):
    return svc.certification_accept(
        certification=cert, by=people.staff, on=received_on + datetime.timedelta(days=5)
    )


def msg(what, day, received):
    return (
        f"The client's ISO/IEC 20000-1 certificate was {what} on {day} for its own failings, "
        f"within 12 months before this application (received on {received}): it cannot be "
        "accepted (CNCA-QMS-01:2025; policy CERTBODY_REFUSE_AFTER_SUSPENSION_MONTHS)."
    )


def test_withdrawn_for_its_failings_within_12_months_is_refused(people):
    cert = withdrawn(people, on=D(2024, 6, 3))
    received = D(2025, 6, 3)  # 12 months to the day: still within
    cert = reapply(people, cert, received)
    with pytest.raises(CertificationError) as err:
        accept(cert, people, received)
    assert err.value.messages == [msg("withdrawn", "2024-06-03", "2025-06-03")]
    cert.refresh_from_db()
    assert cert.state == State.UNDER_REVIEW


def test_withdrawn_more_than_12_months_before_is_accepted(people):
    cert = withdrawn(people, on=D(2024, 6, 3))
    received = D(2025, 6, 4)
    cert = accept(reapply(people, cert, received), people, received)
    assert cert.state == State.ACCEPTED


def test_withdrawn_at_the_clients_request_does_not_count(people):
    cert = withdrawn(people, on=D(2024, 6, 3), at_client_request=True)
    assert Decision.objects.get(
        certification=cert, outcome=DecisionOutcome.WITHDRAW
    ).at_client_request
    received = D(2024, 9, 2)
    cert = accept(reapply(people, cert, received), people, received)
    assert cert.state == State.ACCEPTED


def test_a_suspension_for_its_failings_counts_though_withdrawn_at_request(people):
    cert = lc.certified(people, decided_on=GRANTED)
    svc.certification_suspend(
        certification=cert, reason=FAILINGS, by=people.decider, on=D(2024, 5, 6)
    )
    cert.refresh_from_db()
    svc.certification_withdraw(
        certification=cert,
        reason=REQUEST,
        by=people.decider,
        on=D(2024, 7, 1),
        at_client_request=True,
    )
    cert.refresh_from_db()
    received = D(2024, 11, 4)
    cert = reapply(people, cert, received)
    with pytest.raises(CertificationError) as err:
        accept(cert, people, received)
    assert err.value.messages == [msg("suspended", "2024-05-06", "2024-11-04")]


def test_the_rule_is_a_policy_that_0_turns_off(people, settings):
    settings.CERTBODY = {**settings.CERTBODY, "REFUSE_AFTER_SUSPENSION_MONTHS": 0}
    cert = withdrawn(people, on=D(2024, 6, 3))
    received = D(2024, 9, 2)
    cert = accept(reapply(people, cert, received), people, received)
    assert cert.state == State.ACCEPTED


def test_the_admin_records_a_request(client, people):
    from django.urls import reverse

    cert = lc.certified(people, decided_on=GRANTED)
    client.force_login(people.decider)
    url = reverse("admin:certificates_certification_transition", args=[cert.pk, "suspend"])
    page = client.get(url)
    assert page.status_code == 200, page
    assert "at_client_request" in page.content.decode()
    data = {"on": "2024-06-03", "reason": REQUEST, "at_client_request": "on"}
    response = client.post(url, {**data, "revision": cert.revision})
    assert response.status_code == 302, response.content.decode()[-2000:]
    decision = Decision.objects.get(certification=cert, outcome=DecisionOutcome.SUSPEND)
    assert (decision.decided_on, decision.at_client_request) == (D(2024, 6, 3), True)
