"""The application pages of the workspace: a new application from the client page (sites of
this client only) and the intake page (checklist of each standard, documents received and
uploaded, intake conditions, audit time, acceptance in one action)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_fsm_log.models import StateLog

from audits.models import AuditTimeCalculation
from certificates.errors import CertificationError
from certificates.models import Certification, State
from certificates.services import certification_reject
from certificates.services.applications import application_record_documents
from clients.models import Application, ApplicationDocument, RequiredDocument, Site
from tests.audits.factories import all_standards_auditor
from tests.factories import ClientFactory, standard
from tests.lifecycle import apply, certified

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date
ITSM = "ISO/IEC 20000-1"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def new_url(client):
    return reverse("workspace:application_new", args=[client.pk])


def page_url(application):
    return reverse("workspace:application", args=[application.pk])


def new_data(client, **changes):
    data = {
        "standards": [str(standard(ITSM).pk)],
        "received_on": "2026-01-10",
        "scope": "IT 运维服务",
        "sites": [str(s.pk) for s in client.sites.all()],
        "effective_personnel": "120",
        "language": "zh-hans",
        "system_operating_since": "2025-03-01",
        "internal_audit_on": "2025-10-01",
        "management_review_on": "2025-11-01",
        "no_penalty_declared": "on",
        "legal_registration_checked": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def submitted(people, *, complete=False, audit_time=False, **kwargs):
    cert = apply(people, complete=complete, audit_time=audit_time, **kwargs)
    return cert.application, cert


# -- new application ---------------------------------------------------------------------------
def test_new_application_form_offers_this_clients_sites_all_ticked(as_staff):
    client = ClientFactory()
    Site.objects.create(client=client, name="机房", city="天津", address="x", personnel=5)
    other = ClientFactory()
    response = as_staff.get(new_url(client))
    assert response.status_code == 200
    form = response.context["form"]
    offered = set(form.fields["sites"].queryset)
    assert offered == set(client.sites.all())
    assert not offered & set(other.sites.all())
    assert set(form.initial["sites"]) == set(client.sites.values_list("pk", flat=True))
    assert form.initial["effective_personnel"] == client.effective_personnel
    text = response.content.decode()
    assert "机房" in text and other.legal_name not in text


def test_new_application_recorded_opens_the_certification(as_staff):
    client = ClientFactory()
    response = as_staff.post(new_url(client), new_data(client))
    application = Application.objects.get(client=client)
    assert response.status_code == 302
    assert response["Location"] == page_url(application)
    cert = Certification.objects.get(application=application)
    assert cert.state == State.APPLIED and cert.standard == standard(ITSM)
    assert set(application.sites.all()) == set(client.sites.all())
    assert application.legal_registration_checked and application.no_penalty_declared


def test_new_application_rejects_another_clients_site_even_if_posted(as_staff):
    client = ClientFactory()
    other = ClientFactory()
    data = new_data(client, sites=[str(other.sites.get().pk)])
    response = as_staff.post(new_url(client), data)
    assert response.status_code == 200
    assert "sites" in response.context["form"].errors
    assert not Application.objects.exists()


def test_new_application_needs_a_standard_and_says_so(as_staff):
    client = ClientFactory()
    response = as_staff.post(new_url(client), new_data(client, standards=[]))
    assert response.status_code == 200
    assert "Choose at least one standard." in response.content.decode()
    assert not Application.objects.exists()


def test_new_application_refused_while_one_is_in_progress(people, as_staff):
    _application, cert = submitted(people)
    response = as_staff.post(new_url(cert.client), new_data(cert.client))
    assert response.status_code == 200
    assert "in progress" in str(response.context["form"].errors["standards"])
    assert Application.objects.count() == 1


def test_new_application_refuses_a_future_date(as_staff):
    client = ClientFactory()
    response = as_staff.post(new_url(client), new_data(client, received_on="2999-01-01"))
    assert "received_on" in response.context["form"].errors
    assert not Application.objects.exists()


@pytest.mark.parametrize("who", ["decider", "auditor"])
def test_new_application_refused_to_non_staff(people, request, who):
    client = certified(people).client
    before = Application.objects.count()
    c = signed_in(request.getfixturevalue(who))
    assert c.get(new_url(client)).status_code == 403
    assert c.post(new_url(client), new_data(client)).status_code == 403
    assert Application.objects.count() == before


def test_new_application_anonymous_to_login(client):
    c = ClientFactory()
    response = client.post(new_url(c), new_data(c))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Application.objects.exists()


# -- the intake page: who sees what ------------------------------------------------------------
def test_intake_page_shows_only_this_standards_checklist(people, as_staff):
    application, _cert = submitted(people)
    response = as_staff.get(page_url(application))
    assert response.status_code == 200
    (checklist,) = response.context["checklists"]
    assert checklist.standard == standard(ITSM)
    assert {r.required.standard_id for r in checklist.rows} == {standard(ITSM).pk}
    assert len(checklist.rows) == standard(ITSM).required_documents.count()
    problems = response.context["accept_problems"]
    assert any("Missing document" in p for p in problems)
    assert any("audit-time" in p for p in problems)
    assert response.context["may_edit"]


def test_intake_page_titles_in_chinese(people, as_staff):
    application, _cert = submitted(people)
    doc = standard(ITSM).required_documents.exclude(title_zh="").first()
    response = as_staff.get("/zh-hans" + page_url(application))
    assert response.status_code == 200
    assert doc.title_zh in response.content.decode()


def test_intake_page_decider_reads_only(people, as_decider):
    application, _cert = submitted(people)
    response = as_decider.get(page_url(application))
    assert response.status_code == 200
    assert not response.context["may_edit"]
    assert reverse("workspace:application_accept", args=[application.pk]) not in (
        response.content.decode()
    )


def test_intake_page_auditor_only_of_their_audits(people):
    cert = certified(people)  # people.auditor led its audits
    mine = signed_in(people.auditor).get(page_url(cert.application))
    assert mine.status_code == 200 and not mine.context["may_edit"]
    stranger = signed_in(all_standards_auditor("stranger"))
    assert stranger.get(page_url(cert.application)).status_code == 404
    application, _ = submitted(people)  # no audit yet: no auditor sees it
    assert signed_in(people.auditor).get(page_url(application)).status_code == 404


def test_intake_page_anonymous_to_login(people, client):
    application, _cert = submitted(people)
    response = client.get(page_url(application))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_intake_page_queries_bounded(people, as_staff, django_assert_max_num_queries):
    application, _cert = submitted(people, complete=True, audit_time=True)
    with django_assert_max_num_queries(40):
        assert as_staff.get(page_url(application)).status_code == 200


# -- documents ----------------------------------------------------------------------------------
def docs_url(application):
    return reverse("workspace:application_documents", args=[application.pk])


def received_pks(application):
    return set(
        application.documents.exclude(received_on=None).values_list(
            "required_document_id", flat=True
        )
    )


def checklist_pks(std=None):
    return list(
        (std or standard(ITSM)).required_documents.order_by("position").values_list("pk", flat=True)
    )


def test_tick_documents_received_on_one_date(people, as_staff):
    application, _cert = submitted(people)
    pks = checklist_pks()[:3]
    data = {"on": "2026-01-12", "received": [str(p) for p in pks], "shown": [str(p) for p in pks]}
    response = as_staff.post(docs_url(application), data)
    assert response.status_code == 302
    assert received_pks(application) == set(pks)
    assert set(application.documents.values_list("received_on", flat=True)) == {D(2026, 1, 12)}


def test_mark_all_received_in_one_click(people, as_staff):
    application, _cert = submitted(people)
    response = as_staff.post(docs_url(application), {"on": "2026-01-12", "action": "all"})
    assert response.status_code == 302
    assert received_pks(application) == set(checklist_pks())
    page = as_staff.get(page_url(application))
    assert not any("Missing document" in p for p in page.context["accept_problems"])


def test_untick_a_received_document(people, as_staff):
    application, _cert = submitted(people, complete=True)
    first, *rest = checklist_pks()
    data = {
        "on": "2026-01-12",
        "received": [str(p) for p in rest],
        "shown": [str(p) for p in [first, *rest]],
    }
    as_staff.post(docs_url(application), data)
    assert received_pks(application) == set(rest)


def test_upload_several_files_at_once(people, as_staff):
    application, _cert = submitted(people)
    docs = list(standard(ITSM).required_documents.order_by("position"))
    row_file = SimpleUploadedFile("licence-scan.pdf", b"%PDF-1.4 a", "application/pdf")
    by_title = SimpleUploadedFile(f"{docs[1].title}.pdf", b"%PDF-1.4 b", "application/pdf")
    by_number = SimpleUploadedFile("03 something.docx", b"c", "application/octet-stream")
    stray = SimpleUploadedFile("holiday.jpg", b"d", "image/jpeg")
    response = as_staff.post(
        docs_url(application),
        {
            "on": "2026-01-12",
            f"file_{docs[0].pk}": row_file,
            "files": [by_title, by_number, stray],
        },
        follow=True,
    )
    assert response.status_code == 200
    stored = {d.required_document_id: d for d in application.documents.all()}
    assert set(stored) == {docs[0].pk, docs[1].pk, docs[2].pk}
    assert all(d.file and d.received_on == D(2026, 1, 12) for d in stored.values())
    assert stored[docs[0].pk].file.read() == b"%PDF-1.4 a"
    text = response.content.decode()
    assert "holiday.jpg" in text  # not matched: said so
    # download links go through the protected file view
    assert stored[docs[1].pk].file.url in text
    download = as_staff.get(stored[docs[1].pk].file.url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 b"


def test_documents_htmx_returns_the_live_part(people, as_staff):
    application, _cert = submitted(people)
    pk = checklist_pks()[0]
    response = as_staff.post(
        docs_url(application),
        {"on": "2026-01-12", "received": [str(pk)], "shown": [str(pk)]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "workspace/applications/_intake.html"
    assert "<html" not in response.content.decode()
    assert "Checklist saved." in response.content.decode()


def test_documents_bad_date_is_a_message(people, as_staff):
    application, _cert = submitted(people)
    response = as_staff.post(docs_url(application), {"on": "2999-01-01", "action": "all"})
    assert response.status_code == 200
    assert "after today" in response.content.decode()
    assert not application.documents.exists()


@pytest.mark.parametrize("who", ["decider", "auditor"])
def test_documents_refused_to_non_staff(people, request, who):
    application, _cert = submitted(people)
    c = signed_in(request.getfixturevalue(who))
    response = c.post(docs_url(application), {"on": "2026-01-12", "action": "all"})
    assert response.status_code == 403
    assert not application.documents.exists()


def test_documents_of_another_standard_refused_by_the_service(people):
    application, _cert = submitted(people)
    foreign = RequiredDocument.objects.filter(standard=standard("ISO 9001")).first()
    with pytest.raises(CertificationError):
        application_record_documents(
            application=application, by=people.staff, received={foreign.pk: D(2026, 1, 12)}
        )
    assert not application.documents.exists()


def test_posting_another_standards_document_changes_nothing(people, as_staff):
    application, _cert = submitted(people)
    foreign = RequiredDocument.objects.filter(standard=standard("ISO 9001")).first()
    as_staff.post(
        docs_url(application),
        {"on": "2026-01-12", "received": [str(foreign.pk)], "shown": [str(foreign.pk)]},
    )
    assert not ApplicationDocument.objects.filter(application=application).exists()


# -- intake facts -------------------------------------------------------------------------------
def facts_url(application):
    return reverse("workspace:application_facts", args=[application.pk])


def facts_data(application, **changes):
    data = {
        "received_on": application.received_on.isoformat(),
        "scope": application.scope,
        "sites": [str(s.pk) for s in application.sites.all()],
        "effective_personnel": str(application.effective_personnel),
        "language": "zh-hans",
        "system_operating_since": application.system_operating_since.isoformat(),
        "internal_audit_on": application.internal_audit_on.isoformat(),
        "management_review_on": application.management_review_on.isoformat(),
        "no_penalty_declared": "on",
        "legal_registration_checked": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_facts_change_updates_the_conditions(people, as_staff):
    application, _cert = submitted(people, legal_registration_checked=False)
    page = as_staff.get(page_url(application))
    assert any("legal registration" in p for p in page.context["accept_problems"])
    response = as_staff.post(facts_url(application), facts_data(application))
    assert response.status_code == 302
    page = as_staff.get(page_url(application))
    assert not any("legal registration" in p for p in page.context["accept_problems"])


def test_facts_refuse_another_clients_site(people, as_staff):
    application, _cert = submitted(people)
    other = ClientFactory().sites.get()
    response = as_staff.post(facts_url(application), facts_data(application, sites=[str(other.pk)]))
    assert response.status_code == 200
    assert "sites" in response.context["facts_form"].errors
    assert not application.sites.filter(pk=other.pk).exists()


@pytest.mark.parametrize("who", ["decider", "auditor"])
def test_facts_refused_to_non_staff(people, request, who):
    application, _cert = submitted(people, legal_registration_checked=False)
    c = signed_in(request.getfixturevalue(who))
    assert c.post(facts_url(application), facts_data(application)).status_code == 403
    application.refresh_from_db()
    assert not application.legal_registration_checked


# -- audit time ---------------------------------------------------------------------------------
def time_url(application):
    return reverse("workspace:application_audit_time", args=[application.pk])


def time_data(**changes):
    data = {
        "on": "2026-01-12",
        "personnel": "120",
        "factors-TOTAL_FORMS": "3",
        "factors-INITIAL_FORMS": "0",
        "sites-TOTAL_FORMS": "2",
        "sites-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_audit_time_calculated_from_the_page(people, as_staff):
    application, _cert = submitted(people)
    response = as_staff.post(time_url(application), time_data(), follow=True)
    assert response.status_code == 200
    calc = AuditTimeCalculation.objects.get(application=application)
    assert calc.calculated_by == people.staff
    text = response.content.decode()
    assert "Audit time calculated and recorded." in text
    row = response.context["calc_context"]["per_standard"][0]
    figures = row["figures"]
    # no contradiction: stage 1 + stage 2 = initial, on site within it
    assert figures["stage1"] + figures["stage2"] == figures["initial"]
    assert figures["onsite_min"] <= figures["initial"]
    assert row["cells"]["stage2"] in text
    assert not any("audit-time" in p for p in response.context["accept_problems"])


def test_audit_time_bad_input_is_a_message(people, as_staff):
    application, _cert = submitted(people)
    data = time_data(**{"factors-0-percent": "10"})  # no justification
    response = as_staff.post(time_url(application), data)
    assert response.status_code == 200
    assert response.context["errors"]
    assert "Nothing was changed" in response.content.decode()
    assert not AuditTimeCalculation.objects.exists()


@pytest.mark.parametrize("who", ["decider", "auditor"])
def test_audit_time_refused_to_non_staff(people, request, who):
    application, _cert = submitted(people)
    c = signed_in(request.getfixturevalue(who))
    assert c.post(time_url(application), time_data()).status_code == 403
    assert not AuditTimeCalculation.objects.exists()


# -- acceptance ---------------------------------------------------------------------------------
def accept_url(application):
    return reverse("workspace:application_accept", args=[application.pk])


def test_accept_in_one_action(people, as_staff):
    application, cert = submitted(people, complete=True, audit_time=True)
    page = as_staff.get(page_url(application))
    assert page.context["accept_problems"] == []
    response = as_staff.post(accept_url(application), {"on": "2026-01-15"})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.state == State.ACCEPTED
    history = StateLog.objects.for_(cert).order_by("timestamp", "pk")
    assert [log.transition for log in history][-2:] == ["start_review", "accept"]
    assert {log.by for log in history[1:]} == {people.staff}
    page = as_staff.get(page_url(application))
    assert not page.context["may_edit"]  # intake closed: read-only now


def test_accept_refused_with_what_is_missing_and_nothing_changes(people, as_staff):
    application, cert = submitted(people, audit_time=True)
    response = as_staff.post(accept_url(application), {"on": "2026-01-15"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Nothing was changed" in text
    assert "Missing document" in text
    cert.refresh_from_db()
    assert cert.state == State.APPLIED  # the review was not started either


def test_accept_two_standards_all_or_nothing(people, as_staff):
    client = ClientFactory()
    data = new_data(client, standards=[str(standard(ITSM).pk), str(standard("ISO 9001").pk)])
    as_staff.post(new_url(client), data)
    application = Application.objects.get(client=client)
    # every ITSM document, no QMS document
    application_record_documents(
        application=application,
        by=people.staff,
        received={pk: D(2026, 1, 11) for pk in checklist_pks()},
    )
    as_staff.post(time_url(application), time_data())
    page = as_staff.get(page_url(application))
    problems = page.context["accept_problems"]
    assert problems and all(p.startswith("ISO 9001") for p in problems)
    response = as_staff.post(accept_url(application), {"on": "2026-01-15"})
    assert response.status_code == 200
    states = set(
        Certification.objects.filter(application=application).values_list("state", flat=True)
    )
    assert states == {State.APPLIED}
    as_staff.post(docs_url(application), {"on": "2026-01-12", "action": "all"})
    response = as_staff.post(accept_url(application), {"on": "2026-01-15"})
    assert response.status_code == 302
    states = set(
        Certification.objects.filter(application=application).values_list("state", flat=True)
    )
    assert states == {State.ACCEPTED}


@pytest.mark.parametrize("who", ["decider", "auditor"])
def test_accept_refused_to_non_staff(people, request, who):
    application, cert = submitted(people, complete=True, audit_time=True)
    c = signed_in(request.getfixturevalue(who))
    assert c.post(accept_url(application), {"on": "2026-01-15"}).status_code == 403
    cert.refresh_from_db()
    assert cert.state == State.APPLIED


def test_accept_future_date_refused(people, as_staff):
    application, cert = submitted(people, complete=True, audit_time=True)
    response = as_staff.post(accept_url(application), {"on": "2999-01-01"})
    assert response.status_code == 200
    assert "after today" in response.content.decode()
    cert.refresh_from_db()
    assert cert.state == State.APPLIED


def test_writes_refused_once_accepted(people, as_staff):
    application, _cert = submitted(people, complete=True, audit_time=True)
    as_staff.post(accept_url(application), {"on": "2026-01-15"})
    response = as_staff.post(docs_url(application), {"on": "2026-01-16", "action": "all"})
    assert response.status_code == 200
    assert "intake of this application is closed" in response.content.decode()


def test_a_client_applying_again_gets_its_last_standards_and_scope_proposed(people, as_staff):
    application, cert = submitted(people)
    # In progress: the scope is proposed, not the standard (it cannot be applied for now).
    form = as_staff.get(new_url(cert.client)).context["form"]
    assert form.initial["scope"] == application.scope
    assert cert.standard_id not in (form.initial.get("standards") or [])
    certification_reject(
        certification=cert,
        reason="Outside our scope",
        by=people.staff,
        on=datetime.date(2024, 9, 5),
    )
    form = as_staff.get(new_url(cert.client)).context["form"]
    assert form.initial["standards"] == [cert.standard_id]
