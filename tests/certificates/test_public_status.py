"""Public status in the IAF CertSearch vocabulary (certificates/public_status.py)."""

import pytest
from django.utils import translation

from certificates.models import CertificateStatus, State
from certificates.public_status import (
    CERTSEARCH_STATUS,
    PUBLIC_STATUSES,
    certification_public_status,
    explanation,
    label,
    public_status,
)
from tests import lifecycle as lc

D = lc.D


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state, expected",
    [
        (State.ACTIVE, "active"),
        (State.SUSPENDED, "suspended"),
        (State.WITHDRAWN, "withdrawn"),
        (State.EXPIRED, "expired"),
        (State.DECISION_PENDING, None),
        (State.REFUSED, None),
        (State.APPLIED, None),
    ],
)
def test_certification_public_status_follows_the_lifecycle(people, state, expected):
    cert = lc.build(people, state)
    assert certification_public_status(cert) == expected
    if expected:
        assert public_status(cert.certificates.order_by("-version").first()) == expected


@pytest.mark.django_db
def test_superseded_version_has_no_public_status(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    lc.extend_scope(
        certification=cert,
        scope="More services",
        reason="Asked",
        by=people.decider,
        on=D(2025, 3, 1),
    )
    v1, v2 = cert.certificates.order_by("version")
    assert v1.status == CertificateStatus.SUPERSEDED
    assert public_status(v1) is None
    assert public_status(v2) == "active"
    assert certification_public_status(cert) == "active"


@pytest.mark.django_db
def test_current_version_past_expiry_is_expired_given_a_date(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    certificate = cert.certificates.get()
    assert public_status(certificate, on=D(2028, 1, 14)) == "active"
    assert public_status(certificate, on=D(2028, 1, 15)) == "expired"


def test_labels_and_explanations_translate():
    assert set(CERTSEARCH_STATUS) == set(PUBLIC_STATUSES)
    assert CERTSEARCH_STATUS["withdrawn"] == "Withdrawn"
    with translation.override("en"):
        assert str(label("active")) == "Active"
        assert "valid" in str(explanation("active"))
    assert label(None) == "" and explanation(None) == ""
    for status in PUBLIC_STATUSES:
        assert str(label(status)) and str(explanation(status))
