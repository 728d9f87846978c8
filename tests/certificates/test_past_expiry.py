"""Dates rule, not jobs (issue 15, item 8): past its expiry date a certification is expired for
every transition and page, whether or not the nightly expiry task has recorded it yet."""

import pytest
from django.urls import reverse

from certificates import services as svc
from certificates.models import Decision, State
from certificates.services import CertificationError
from tests import lifecycle as lc

from .test_public_support import _fresh_rate_limit  # noqa: F401 (autouse fixture)

D = lc.D
pytestmark = pytest.mark.django_db


def unchanged(cert, state):
    cert.refresh_from_db()
    assert cert.state == state
    assert (cert.suspended_on, cert.suspension_deadline) == (None, None) or state == "suspended"


def test_no_suspension_after_the_expiry_date_before_the_nightly_task(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))  # expiry 2028-01-14
    decisions = Decision.objects.filter(certification=cert).count()
    with pytest.raises(CertificationError) as err:
        svc.certification_suspend(
            certification=cert, reason="Missed surveillance", by=people.decider, on=D(2028, 1, 15)
        )
    assert err.value.messages == [
        "The certificate expired on 2028-01-14: it can no longer be suspended. The expiry is "
        "recorded tonight (or now, with “Expire”); then it can be restored."
    ]
    unchanged(cert, State.ACTIVE)
    assert Decision.objects.filter(certification=cert).count() == decisions
    # On its last day it still can, and the expiry ends the suspension.
    svc.certification_suspend(
        certification=cert, reason="Missed surveillance", by=people.decider, on=D(2028, 1, 14)
    )
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED
    assert svc.expire_due_certifications(on=D(2028, 1, 15)) == 1
    cert.refresh_from_db()
    assert (cert.state, cert.suspended_on, cert.suspension_deadline) == (State.EXPIRED, None, None)


def test_no_withdrawal_after_the_expiry_date(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with pytest.raises(CertificationError) as err:
        svc.certification_withdraw(
            certification=cert, reason="Client asked", by=people.decider, on=D(2028, 2, 1)
        )
    assert err.value.messages == [
        "The certificate expired on 2028-01-14: it can no longer be withdrawn. The expiry is "
        "recorded tonight (or now, with “Expire”)."
    ]
    unchanged(cert, State.ACTIVE)


def test_suspended_past_expiry_can_be_neither_lifted_withdrawn_nor_reduced(people):
    cert = lc.build(people, State.SUSPENDED)  # suspended 2025-06-01, expiry 2028-01-14
    on = D(2028, 1, 15)
    for call in (
        lambda: svc.certification_lift_suspension(
            certification=cert, reason="r", by=people.decider, on=on
        ),
        lambda: svc.certification_withdraw(
            certification=cert, reason="r", by=people.decider, on=on
        ),
        lambda: svc.certification_reduce_scope(
            certification=cert, scope="less", reason="r", by=people.decider, on=on
        ),
    ):
        with pytest.raises(CertificationError, match="The certificate expired on 2028-01-14"):
            call()
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED
    # What remains is the expiry, then restoration or a new stage 2.
    svc.certification_expire(certification=cert, on=on)
    cert.refresh_from_db()
    assert cert.state == State.EXPIRED


def test_admin_and_public_page_show_expired_before_the_nightly_task(client, people, admin_user):
    cert = lc.certified(people, decided_on=D(2022, 1, 15))  # expiry 2025-01-14, never expired
    assert cert.state == State.ACTIVE
    client.force_login(admin_user)
    page = client.get(reverse("admin:certificates_certification_changelist")).content.decode()
    assert "Expired: valid until 2025-01-14 (recorded tonight)" in page
    page = client.get(
        reverse("admin:certificates_certification_change", args=[cert.pk])
    ).content.decode()
    assert "Expired: valid until 2025-01-14 (recorded tonight)" in page
    client.logout()
    number = f"{cert.certificate_number}-V1"
    api = client.get(reverse("public_api:certificate", kwargs={"number": number})).json()
    assert api["status"] == "Expired"
