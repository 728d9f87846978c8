"""Nothing private on any public page or API response (ISO/IEC 17021-1 8.1; issue 4): clients
whose private fields hold marker strings, every public view rendered in both languages."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from audits.models import Finding
from certificates import services as svc
from clients.models import Contact, Site
from tests import lifecycle as lc
from tests.factories import ClientFactory

from .test_public_support import _fresh_rate_limit, granted  # noqa: F401

D = lc.D
pytestmark = pytest.mark.django_db

MARKERS = {
    "client_notes": "MKCLIENTNOTES7",
    "address": "MKADDRESS7",
    "contact_name": "MKCONTACTNAME7",
    "contact_phone": "+86 139 7777 1234",
    "contact_email": "mkcontact7@example.org",
    "contact_role": "MKCONTACTROLE7",
    "site_name": "MKSITENAME7",
    "site_address": "MKSITEADDRESS7",
    "application_notes": "MKAPPNOTES7",
    "impartiality_threats": "MKTHREATS7",
    "finding": "MKFINDING7",
    "finding_plan": "MKPLAN7",
    "grant_reason": "MKGRANTREASON7",
    "suspend_reason": "MKSUSPENDREASON7",
    "auditor_first": "MKAUDITORFIRST7",
    "auditor_last": "MKAUDITORLAST7",
    "decider_name": "MKDECIDER7",
    "foreign_registration_id": "MKREGID7",
    "foreign_notes": "MKFOREIGNNOTES7",
    "personnel": "98765",
}


@pytest.fixture
def private_world(people):
    m = MARKERS
    User.objects.filter(pk=people.auditor.pk).update(
        first_name=m["auditor_first"], last_name=m["auditor_last"]
    )
    User.objects.filter(pk=people.decider.pk).update(first_name=m["decider_name"])
    client = ClientFactory(
        legal_name="深圳隐私测试有限公司",
        english_name="Privacy Test Co., Ltd.",
        address=m["address"],
        notes=m["client_notes"],
        effective_personnel=int(m["personnel"]),
    )
    Contact.objects.create(
        client=client,
        name=m["contact_name"],
        phone=m["contact_phone"],
        email=m["contact_email"],
        role=m["contact_role"],
    )
    Site.objects.create(client=client, name=m["site_name"], city="上海", address=m["site_address"])
    decided = D(2025, 1, 15)
    cert = lc.apply(
        people,
        client=client,
        received_on=decided - datetime.timedelta(days=120),
        notes=m["application_notes"],
        impartiality_threats=m["impartiality_threats"],
    )
    cert = lc.accept(cert, people, decided - datetime.timedelta(days=110))
    cert, _ = lc.stage1(cert, people, start=decided - datetime.timedelta(days=80))
    cert, _, raised = lc.stage2(
        cert, people, start=decided - datetime.timedelta(days=30), findings=("minor",)
    )
    Finding.objects.filter(pk=raised[0].pk).update(description=m["finding"])
    lc.resolve(raised, people, decided - datetime.timedelta(days=5))
    Finding.objects.filter(pk=raised[0].pk).update(plan=m["finding_plan"])
    svc.certification_grant(
        certification=cert, by=people.decider, on=decided, reason=m["grant_reason"]
    )
    cert.refresh_from_db()
    lc.extend_scope(
        certification=cert,
        scope="信息技术运维服务与咨询 / IT operation services and consulting",
        reason="wider",
        by=people.decider,
        on=D(2025, 3, 1),
    )
    cert.refresh_from_db()
    svc.certification_suspend(
        certification=cert, reason=m["suspend_reason"], by=people.decider, on=D(2025, 6, 1)
    )
    foreign = granted(
        legal_name="Privacy Test GmbH",
        english_name="Privacy Test GmbH",
        country="DE",
        city="Berlin",
        registration_id=m["foreign_registration_id"],
        notes=m["foreign_notes"],
        address=m["address"],
        effective_personnel=int(m["personnel"]),
    )
    return cert, foreign


def test_no_private_field_reaches_any_public_page(client, private_world):
    cert, foreign = private_world
    urls = []
    for prefix in ("", "/zh-hans"):
        urls += [
            f"{prefix}/verify/",
            f"{prefix}/verify/?q=隐私测试",
            f"{prefix}/verify/?q=privacy test",
            f"{prefix}/verify/?q=Privacy Test GmbH",
            f"{prefix}/verify/?q={cert.certificate_number}",
            f"{prefix}/verify/?q={foreign.certificate_number.lower()}",
            f"{prefix}/verify/?q=x",
            f"{prefix}/verify/{cert.certificate_number}/",
            f"{prefix}/verify/{cert.certificate_number}-V1/",
            f"{prefix}/verify/{cert.certificate_number}-V2/?on=2025-06-02",
            f"{prefix}/verify/{cert.certificate_number}/?on=2025-02-01",
            f"{prefix}/verify/{cert.certificate_number}/?on=2020-01-01",
            f"{prefix}/verify/{cert.certificate_number}/?on=bad",
            f"{prefix}/verify/{foreign.certificate_number}/?on=2025-06-02",
            f"{prefix}/verify/CB-NOPE-1/",
        ]
    urls += [
        reverse("public_api:search") + "?q=隐私测试",
        reverse("public_api:search") + "?q=privacy",
        reverse("public_api:search") + f"?q={cert.certificate_number}",
        reverse("public_api:certificate", kwargs={"number": cert.certificate_number}),
        reverse("public_api:certificate", kwargs={"number": f"{cert.certificate_number}-V1"})
        + "?on=2025-06-02",
        reverse("public_api:certificate", kwargs={"number": foreign.certificate_number})
        + "?on=2025-02-01",
    ]
    seen = set()
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), url
        body = response.content.decode()
        for field, marker in MARKERS.items():
            assert marker not in body, (url, field)
        assert cert.client.registration_id not in body, url
        seen.update(n for n in (cert.certificate_number, foreign.certificate_number) if n in body)
    # The pages did show the certificates (so the check above was not vacuous).
    assert seen == {cert.certificate_number, foreign.certificate_number}
    html = client.get("/verify/?q=隐私测试").content.decode()
    assert "深圳隐私测试有限公司" in html and "Suspended" in html
    # No internal ids either: no primary keys in links or markup.
    assert f"/{cert.pk}/" not in html and str(cert.public_id) not in html
