"""The original certification date (issue 15, item 6): kept across continuous certification
(recertification, restoration within the window, with its gap shown); a new initial
certification after a break (withdrawal, refusal, expiry beyond restoration) starts a new one.
Each certificate version keeps the date it was issued with, so the public history stays
right."""

import pytest
from django.urls import reverse

from certificates import services as svc
from certificates.models import State
from tests import lifecycle as lc

from .test_public_support import _fresh_rate_limit  # noqa: F401 (autouse fixture)

D = lc.D
pytestmark = pytest.mark.django_db


def initial_again(cert, people, *, received_on, decided_on):
    """A new application for the same client and standard, through stage 1 and 2 to a grant
    on ``decided_on``."""
    cert = lc.apply(people, client=cert.client, std=cert.standard, received_on=received_on)
    assert cert.state == State.APPLIED
    cert = lc.accept(cert, people, received_on + lc.datetime.timedelta(days=10))
    cert, _ = lc.stage1(cert, people, start=received_on + lc.datetime.timedelta(days=30))
    cert, _, _ = lc.stage2(cert, people, start=received_on + lc.datetime.timedelta(days=60))
    certificate = svc.certification_grant(certification=cert, by=people.decider, on=decided_on)
    cert.refresh_from_db()
    return cert, certificate


def test_new_certification_after_withdrawal_starts_a_new_original_date(client, people):
    cert = lc.build(people, State.WITHDRAWN)  # granted 2025-01-15, withdrawn 2025-06-01
    cert, v2 = initial_again(cert, people, received_on=D(2026, 6, 15), decided_on=D(2026, 9, 1))
    assert cert.state == State.ACTIVE
    assert cert.original_certification_date == D(2026, 9, 1)
    assert (v2.version, v2.effective_date, v2.original_certification_date) == (
        2,
        D(2026, 9, 1),
        D(2026, 9, 1),
    )
    assert (v2.gap_from, v2.gap_to) == (None, None)
    v1 = cert.certificates.get(version=1)
    assert (v1.status, v1.original_certification_date) == ("withdrawn", D(2025, 1, 15))

    # The public pages and API: each version with its own original date, and the history.
    n = cert.certificate_number
    api = client.get(reverse("public_api:certificate", kwargs={"number": f"{n}-V2"})).json()
    assert api["original_certification_date"] == "2026-09-01"
    api = client.get(reverse("public_api:certificate", kwargs={"number": f"{n}-V1"})).json()
    assert api["original_certification_date"] == "2025-01-15"
    url = reverse("public_api:certificate", kwargs={"number": f"{n}-V2"})
    assert client.get(url, {"on": "2026-01-01"}).json()["valid_on"]["status"] == "Withdrawn"
    assert client.get(url, {"on": "2026-09-01"}).json()["valid_on"]["status"] == "Active"


def test_new_certification_after_refusal_starts_a_new_original_date(people):
    cert = lc.build(people, State.WITHDRAWN)  # granted 2025-01-15, withdrawn 2025-06-01
    # A second programme refused, a third granted: the date is the third's.
    cert = lc.apply(people, client=cert.client, std=cert.standard, received_on=D(2026, 6, 15))
    cert = lc.accept(cert, people, D(2026, 6, 25))
    cert, _ = lc.stage1(cert, people, start=D(2026, 7, 15))
    cert, _, _ = lc.stage2(cert, people, start=D(2026, 8, 14))
    svc.certification_refuse(
        certification=cert, reason="Not effective", by=people.decider, on=D(2026, 8, 20)
    )
    cert.refresh_from_db()
    cert, certificate = initial_again(
        cert, people, received_on=D(2026, 8, 25), decided_on=D(2026, 11, 2)
    )
    assert cert.original_certification_date == D(2026, 11, 2)
    assert certificate.original_certification_date == D(2026, 11, 2)


def test_restoration_within_the_window_keeps_the_original_date_and_shows_the_gap(people):
    cert = lc.build(people, State.EXPIRED)  # granted 2025-01-15, expired 2028-01-15
    lc.recert_audit(cert, people, start=D(2028, 3, 1))
    certificate = svc.certification_restore_after_expiry(
        certification=cert, by=people.decider, on=D(2028, 3, 15)
    )
    cert.refresh_from_db()
    assert cert.original_certification_date == D(2025, 1, 15)
    assert certificate.original_certification_date == D(2025, 1, 15)
    assert (certificate.gap_from, certificate.gap_to) == (D(2028, 1, 15), D(2028, 3, 14))


def test_recertification_keeps_the_original_date(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    lc.recert_audit(cert, people, start=D(2027, 10, 1))
    certificate = svc.certification_recertify(
        certification=cert, by=people.decider, on=D(2027, 11, 1)
    )
    assert certificate.original_certification_date == D(2025, 1, 15)
