"""'Was it valid on date X?' from the recorded history (certificates/history.py), through the
real services, on the page and in the JSON API."""

import pytest
from django.urls import reverse

from certificates import services as svc
from certificates.history import decisions_for_history, validity_on
from certificates.models import Certification
from tests import lifecycle as lc

from .test_public_support import _fresh_rate_limit  # noqa: F401 (autouse fixture)

D = lc.D
pytestmark = pytest.mark.django_db


def answer(cert, on):
    cert = Certification.objects.get(pk=cert.pk)
    v = validity_on(
        on,
        versions=list(cert.certificates.all()),
        decisions=decisions_for_history(cert.pk),
        certification=cert,
    )
    number = v.certificate.full_number if v.certificate else None
    return number, v.status, v.since


def test_suspension_and_lifting(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    svc.certification_suspend(certification=cert, reason="r", by=people.decider, on=D(2025, 6, 1))
    cert.refresh_from_db()
    svc.certification_lift_suspension(
        certification=cert, reason="fixed", by=people.decider, on=D(2025, 8, 1)
    )
    n = cert.certificate_number
    assert answer(cert, D(2025, 1, 14)) == (None, None, None)
    assert answer(cert, D(2025, 1, 15)) == (f"{n}-V1", "active", None)
    assert answer(cert, D(2025, 5, 31)) == (f"{n}-V1", "active", None)
    assert answer(cert, D(2025, 6, 1)) == (f"{n}-V1", "suspended", D(2025, 6, 1))
    assert answer(cert, D(2025, 7, 31)) == (f"{n}-V1", "suspended", D(2025, 6, 1))
    assert answer(cert, D(2025, 8, 1)) == (f"{n}-V1", "active", None)
    # After the expiry date the (never renewed) certificate is expired, whatever today says.
    assert answer(cert, D(2028, 1, 15)) == (f"{n}-V1", "expired", D(2028, 1, 15))


def test_withdrawal_is_final_and_a_new_grant_is_a_new_version(people):
    cert = lc.build(people, "withdrawn")  # granted 2025-01-15, withdrawn 2025-06-01
    n = cert.certificate_number
    assert answer(cert, D(2025, 5, 31)) == (f"{n}-V1", "active", None)
    assert answer(cert, D(2025, 6, 1)) == (f"{n}-V1", "withdrawn", D(2025, 6, 1))
    assert answer(cert, D(2027, 1, 1)) == (f"{n}-V1", "withdrawn", D(2025, 6, 1))


def test_suspended_then_scope_reduced_is_valid_again_with_the_new_version(people):
    cert = lc.build(people, "suspended")  # suspended 2025-06-01
    svc.certification_reduce_scope(
        certification=cert,
        scope="IT operation services (reduced)",
        reason="reduced",
        by=people.decider,
        on=D(2025, 9, 1),
    )
    n = cert.certificate_number
    assert answer(cert, D(2025, 8, 31)) == (f"{n}-V1", "suspended", D(2025, 6, 1))
    assert answer(cert, D(2025, 9, 1)) == (f"{n}-V2", "active", None)


def test_expiry_and_restoration_gap(people):
    cert = lc.certified(people, decided_on=D(2021, 1, 15))  # expiry 2024-01-14
    svc.certification_expire(certification=cert, on=D(2024, 1, 15))
    cert.refresh_from_db()
    n = cert.certificate_number
    assert answer(cert, D(2024, 1, 14)) == (f"{n}-V1", "active", None)
    assert answer(cert, D(2024, 1, 15)) == (f"{n}-V1", "expired", D(2024, 1, 15))
    lc.recert_audit(cert, people, start=D(2024, 3, 1))
    certificate = svc.certification_restore_after_expiry(
        certification=cert, by=people.decider, on=D(2024, 3, 15), reason="done"
    )
    assert (certificate.gap_from, certificate.gap_to) == (D(2024, 1, 15), D(2024, 3, 14))
    # Inside the gap: the old version had expired, the restored one was not yet in effect.
    assert answer(cert, D(2024, 2, 1)) == (f"{n}-V1", "expired", D(2024, 1, 15))
    assert answer(cert, D(2024, 3, 14)) == (f"{n}-V1", "expired", D(2024, 1, 15))
    assert answer(cert, D(2024, 3, 15)) == (f"{n}-V2", "active", None)


def test_recertification_version_takes_over_on_its_effective_date(people):
    cert = lc.certified(people, decided_on=D(2021, 1, 15))  # expiry 2024-01-14
    lc.recert_audit(cert, people, start=D(2023, 10, 1))
    svc.certification_recertify(certification=cert, by=people.decider, on=D(2023, 11, 1))
    n = cert.certificate_number
    assert answer(cert, D(2023, 10, 31)) == (f"{n}-V1", "active", None)
    assert answer(cert, D(2023, 11, 1)) == (f"{n}-V2", "active", None)
    assert answer(cert, D(2025, 1, 1)) == (f"{n}-V2", "active", None)


def test_page_and_api_answer_from_history(client, people):
    cert = lc.certified(people, decided_on=D(2021, 1, 15))
    svc.certification_suspend(certification=cert, reason="r", by=people.decider, on=D(2021, 6, 1))
    number = f"{cert.certificate_number}-V1"
    url = reverse("public:certificate", kwargs={"number": number})

    page = client.get(url, {"on": "2021-07-01"}).content.decode()
    assert f"On 2021-07-01 certificate {number} was Suspended (from 2021-06-01)." in page
    page = client.get(url, {"on": "2021-05-31"}).content.decode()
    assert f"On 2021-05-31 certificate {number} was Active." in page
    page = client.get(url, {"on": "2020-01-01"}).content.decode()
    assert f"On 2020-01-01 certificate {cert.certificate_number} had not yet been issued." in page

    api = reverse("public_api:certificate", kwargs={"number": number})
    data = client.get(api, {"on": "2021-07-01"}).json()
    assert data["valid_on"] == {
        "date": "2021-07-01",
        "certificate": number,
        "status": "Suspended",
        "valid": False,
        "since": "2021-06-01",
        "text": f"On 2021-07-01 certificate {number} was Suspended (from 2021-06-01).",
    }
    data = client.get(api, {"on": "2020-01-01"}).json()
    assert data["valid_on"]["certificate"] is None
    assert data["valid_on"]["status"] is None
    assert "valid_on" not in client.get(api).json()


@pytest.mark.parametrize("bad", ["2025-13-01", "01/06/2025", "20250601", "x" * 500, "2025-W01-1"])
def test_bad_dates_are_refused_politely(client, people, bad):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    number = cert.certificate_number
    page = client.get(reverse("public:certificate", kwargs={"number": number}), {"on": bad})
    assert page.status_code == 200
    assert "Enter the date as YYYY-MM-DD" in page.content.decode()
    api = client.get(reverse("public_api:certificate", kwargs={"number": number}), {"on": bad})
    assert api.status_code == 400
    assert api.json() == {"error": "Enter the date as YYYY-MM-DD, for example 2025-06-01."}


def test_future_dates_are_not_answered(client, people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    api = client.get(
        reverse("public_api:certificate", kwargs={"number": cert.certificate_number}),
        {"on": "2999-01-01"},
    )
    assert api.status_code == 400
    assert "future" in api.json()["error"]
