"""Every public page issues a fixed number of queries whatever the data (issue 4,
Performance): one result or thirty, single or multi-site clients, one version or several."""

import pytest
from django.urls import reverse

from certificates.selectors_public import MAX_RESULTS
from tests.factories import ClientFactory

from .test_public_support import _fresh_rate_limit, granted  # noqa: F401

pytestmark = pytest.mark.django_db


def world(size):
    """``size`` certifications whose clients' names contain 星河; the first has 4 versions;
    every other client is multi-site with two standards."""
    certs = [granted(legal_name="杭州星河数据有限公司", english_name="Galaxy Data", versions=4)]
    while len(certs) < size:
        c = ClientFactory(
            legal_name=f"上海星河科技{len(certs)}有限公司", english_name="Galaxy Tech"
        )
        certs.append(granted(client=c, sites=3, versions=2))
        if len(certs) < size:
            certs.append(granted(client=c, code="ISO 9001"))
    return certs


def pages(number):
    """(url, queries): 1 for a number lookup, +1 for the history of ?on=, 2 for a name search
    (clients, then their certificates), 3 for text that may be a number (number lookup + name
    search), 0 for no search."""
    return [
        ("/verify/", 0),
        ("/verify/?q=星河", 2),
        ("/zh-hans/verify/?q=galaxy", 2),
        ("/verify/?q=x", 0),
        (f"/verify/?q={number}", 3),
        (f"/verify/{number}/", 1),
        (f"/zh-hans/verify/{number}-V1/", 1),
        (f"/verify/{number}/?on=2025-03-01", 2),
        ("/verify/CB-NOPE-000000/", 1),
        (reverse("public_api:search") + "?q=星河", 2),
        (reverse("public_api:search") + f"?q={number}", 3),
        (reverse("public_api:certificate", kwargs={"number": number}), 1),
        (reverse("public_api:certificate", kwargs={"number": number}) + "?on=2025-03-01", 2),
    ]


@pytest.mark.parametrize("size", [1, 30])
def test_constant_queries(client, size, django_assert_num_queries):
    certs = world(size)
    number = certs[0].certificate_number
    html = client.get("/verify/?q=星河").content.decode()
    assert html.count('<section class="card">') == min(size, MAX_RESULTS)
    for url, queries in pages(number):
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code in (200, 404), url
