"""The Statement of Applicability version of an ISO/IEC 27001 certification (issue 18, item 2),
recorded where staff work: the form on the workspace certification page (only for standards
whose certificates give it, only for who manages certifications) and the admin certification
form; both through the service (revision bumped, a history row), and the grant it unblocks."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from certificates import services as svc
from certificates.models import Certification
from certificates.rules import MSG_SOA_VERSION_MISSING
from certificates.services.certificates import RECORD_SOA_VERSION
from tests import lifecycle as lc
from tests.factories import UserFactory, standard

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def isms(people):
    """An ISO/IEC 27001 certification awaiting its decision, no SoA version recorded."""
    cert = lc.apply(people, std=standard("ISO/IEC 27001"), received_on=D(2024, 9, 15))
    cert = lc.accept(cert, people, D(2024, 9, 25))
    cert, _ = lc.stage1(cert, people, start=D(2024, 10, 28))
    cert, _, _ = lc.stage2(cert, people, start=D(2024, 12, 16))
    return cert


def test_staff_record_the_soa_version_on_the_certification_page(people, isms):
    page_url = reverse("workspace:certification", args=[isms.pk])
    form_url = reverse("workspace:certification_soa_version", args=[isms.pk])
    staff = signed_in(people.staff)
    page = staff.get(page_url)
    assert page.status_code == 200
    assert form_url in page.content.decode()
    assert "No version recorded yet" in text(page)
    isms.rule_context(on=D(2025, 1, 15), by=people.decider)
    assert str(MSG_SOA_VERSION_MISSING % {"standard": isms.standard}) in isms.blockers("grant")

    response = staff.post(
        form_url, {"soa_version": "V2.1", "revision": isms.revision, "next": page_url}
    )
    assert response.status_code == 302 and response["Location"] == page_url
    isms.refresh_from_db()
    assert isms.soa_version == "V2.1"
    row = StateLog.objects.filter(object_id=isms.pk, transition=RECORD_SOA_VERSION).get()
    assert row.by == people.staff and "V2.1" in row.description
    assert "Statement of Applicability version recorded" in text(staff.get(page_url))
    svc.certification_grant(certification=isms, by=people.decider, on=D(2025, 1, 15))
    assert isms.certificates.get().soa_version == "V2.1"


def test_a_stale_form_is_a_conflict_nothing_changed(people, isms):
    form_url = reverse("workspace:certification_soa_version", args=[isms.pk])
    staff = signed_in(people.staff)
    response = staff.post(form_url, {"soa_version": "V9", "revision": isms.revision - 1})
    assert response.status_code == 302
    isms.refresh_from_db()
    assert isms.soa_version == ""


def test_who_does_not_manage_certifications_cannot_record_it(people, isms):
    form_url = reverse("workspace:certification_soa_version", args=[isms.pk])
    for user in (people.auditor, people.decider):
        client = signed_in(user)
        response = client.post(form_url, {"soa_version": "V9", "revision": isms.revision})
        assert response.status_code == 403, user
        assert "Only who manages certifications (CB staff)" in text(response)
        page = client.get(reverse("workspace:certification", args=[isms.pk]))
        assert form_url not in page.content.decode()
    isms.refresh_from_db()
    assert isms.soa_version == ""


def test_no_form_for_a_standard_without_soa(people):
    cert, _audit, _findings = lc.pending(people)
    staff = signed_in(people.staff)
    page = staff.get(reverse("workspace:certification", args=[cert.pk]))
    assert reverse("workspace:certification_soa_version", args=[cert.pk]) not in (
        page.content.decode()
    )


class FormValues(HTMLParser):
    """The values a browser would send from a page's main form: inputs, selects, textareas."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "checkbox", "file"):
            self.values[name] = a.get("value") or ""
        elif tag == "input" and name and a.get("type") == "checkbox" and "checked" in a:
            self.values[name] = a.get("value") or "on"
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def test_the_admin_form_records_it_through_the_service(people, isms):
    admin = signed_in(UserFactory(role="Administrator", username="administrator"))
    url = reverse("admin:certificates_certification_change", args=[isms.pk])
    page = admin.get(url)
    assert page.status_code == 200
    assert 'name="soa_version"' in page.content.decode()
    form = FormValues()
    form.feed(page.content.decode())
    data = {k: v for k, v in form.values.items() if k != "csrfmiddlewaretoken"}
    data["soa_version"] = "V3.0"
    response = admin.post(url, data, follow=True)
    assert response.status_code == 200
    isms = Certification.objects.get(pk=isms.pk)
    assert isms.soa_version == "V3.0"
    assert StateLog.objects.filter(object_id=isms.pk, transition=RECORD_SOA_VERSION).exists()


def test_no_soa_version_for_a_standard_that_gives_none_and_no_change_no_history(people, isms):
    """The service refuses an SoA version on a standard whose certificates give none (a POST
    past the hidden form, or the shell); recording the version already stored changes nothing:
    no revision, no history row. The admin offers the field only where the standard gives it."""
    itsm = lc.certified(people, decided_on=D(2025, 9, 15))
    admin = signed_in(UserFactory(role="Administrator", username="administrator"))
    with pytest.raises(svc.CertificationError, match="no Statement of Applicability"):
        svc.certification_record_soa_version(certification=itsm, soa_version="V1", by=people.staff)
    itsm.refresh_from_db()
    assert itsm.soa_version == ""
    page = admin.get(reverse("admin:certificates_certification_change", args=[itsm.pk]))
    assert 'name="soa_version"' not in page.content.decode()

    svc.certification_record_soa_version(certification=isms, soa_version="V2.1", by=people.staff)
    isms.refresh_from_db()
    revision = isms.revision
    logged = StateLog.objects.filter(transition=RECORD_SOA_VERSION).count()
    svc.certification_record_soa_version(certification=isms, soa_version=" V2.1 ", by=people.staff)
    isms.refresh_from_db()
    assert (isms.revision, isms.soa_version) == (revision, "V2.1")
    assert StateLog.objects.filter(transition=RECORD_SOA_VERSION).count() == logged
    page = admin.get(reverse("admin:certificates_certification_change", args=[isms.pk]))
    assert 'name="soa_version"' in page.content.decode()
