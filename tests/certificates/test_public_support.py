"""Helpers for the public verification tests (test_public_*.py); holds no tests itself.

``granted`` writes a certified certification with its versions straight to the database, fast
enough for the query-count tests that need dozens; the history tests use tests/lifecycle.py
and the real services instead.
"""

import datetime

import pytest
from django.core.cache import cache

from certificates.models import (
    Certificate,
    CertificateStatus,
    Certification,
    Decision,
    DecisionOutcome,
    State,
)
from clients.models import Site
from tests.factories import ClientFactory, standard

D = datetime.date
SCOPE = "信息技术运维服务 / IT operation and maintenance services"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """The rate limit counts in the (process-wide) cache: every test starts at zero."""
    cache.clear()
    yield
    cache.clear()


def granted(
    *,
    client=None,
    code="ISO/IEC 20000-1",
    decided_on=D(2025, 1, 15),
    versions=1,
    state=State.ACTIVE,
    sites=0,
    **client_fields,
):
    """A certification granted on ``decided_on`` with ``versions`` certificate versions (the
    older ones superseded, one scope extension a month), in ``state``."""
    client = client or ClientFactory(**client_fields)
    for i in range(sites):
        Site.objects.create(client=client, name=f"站点{i}", city="上海", address="上海市某路1号")
    std = standard(code)
    expiry = Certification.expiry_for(decided_on)
    cert = Certification.objects.create(
        client=client,
        standard=std,
        scope=SCOPE,
        state=state,
        cycle_start=decided_on,
        expiry_date=expiry,
        original_certification_date=decided_on,
    )
    number = f"CB-{std.certificate_code}-{cert.pk:06d}"
    Certification.objects.filter(pk=cert.pk).update(certificate_number=number)
    status = {
        State.ACTIVE: CertificateStatus.CURRENT,
        State.SUSPENDED: CertificateStatus.SUSPENDED,
        State.WITHDRAWN: CertificateStatus.WITHDRAWN,
        State.EXPIRED: CertificateStatus.EXPIRED,
    }[state]
    for v in range(1, versions + 1):
        on = decided_on + datetime.timedelta(days=30 * (v - 1))
        decision = Decision.objects.create(
            certification=cert,
            outcome=DecisionOutcome.GRANT if v == 1 else DecisionOutcome.EXTEND_SCOPE,
            decided_on=on,
        )
        Certificate.objects.create(
            certification=cert,
            number=number,
            version=v,
            standard=std,
            scope=SCOPE if v == 1 else f"{SCOPE} (v{v})",
            effective_date=on,
            expiry_date=expiry,
            original_certification_date=decided_on,
            status=status if v == versions else CertificateStatus.SUPERSEDED,
            decision=decision,
        )
    cert.refresh_from_db()
    return cert


def newest(cert):
    return cert.certificates.order_by("-version").first()
