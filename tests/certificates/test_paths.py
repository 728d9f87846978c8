"""Every legal path, with concrete dates."""

import datetime

import pytest
from django_fsm_log.models import StateLog

from certificates.models import State
from tests import lifecycle as lc

D = datetime.date
pytestmark = pytest.mark.django_db


def history(obj):
    return list(
        StateLog.objects.for_(obj).order_by("pk").values_list("source_state", "state", "transition")
    )


def test_application_to_certificate(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    assert cert.state == State.ACTIVE
    assert cert.cycle_start == D(2025, 1, 15)
    assert cert.expiry_date == D(2028, 1, 14)
    assert cert.original_certification_date == D(2025, 1, 15)
    assert cert.next_surveillance_due == D(2026, 1, 15)
    certificate = cert.current_certificate()
    assert certificate.version == 1
    assert certificate.full_number == f"CB-ITSM-{cert.pk:06d}-V1"
    assert (certificate.effective_date, certificate.expiry_date) == (D(2025, 1, 15), D(2028, 1, 14))
    assert [h[2] for h in history(cert)] == [
        "start_review",
        "accept",
        "begin_stage1",
        "begin_stage2",
        "submit_for_decision",
        "grant",
    ]
    decision = cert.decisions.get()
    assert decision.decided_by == people.decider
    assert decision.audits.count() == 2
