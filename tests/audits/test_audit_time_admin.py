"""Audit time in the staff admin: the calculate page of an application, the summary on its
page, the printable trace, and the tables with their stand-in label and band checks."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from audits import services as audit_svc
from audits.models import AuditTimeCalculation, AuditTimeTable
from tests import lifecycle as lc

D = datetime.date
pytestmark = pytest.mark.django_db


def calc_url(application):
    return reverse("admin:clients_application_audit_time", args=[application.pk])


def form(**extra):
    data = {
        "on": "2024-09-02",
        "personnel": "700",
        "factors-TOTAL_FORMS": "2",
        "factors-INITIAL_FORMS": "0",
        "factors-0-percent": "-5",
        "factors-0-justification": "mature system, low risk",
        "factors-1-percent": "",
        "factors-1-justification": "",
        "sites-TOTAL_FORMS": "0",
        "sites-INITIAL_FORMS": "0",
    }
    data.update(extra)
    return data


@pytest.fixture
def application(people):
    return lc.apply(people, audit_time=False).application


def test_staff_calculate_audit_time_on_the_application_page(client, people, application):
    client.force_login(people.staff)
    change = reverse("admin:clients_application_change", args=[application.pk])
    page = client.get(change).content.decode()
    assert "No audit-time calculation yet" in page
    assert calc_url(application) in page

    page = client.get(calc_url(application)).content.decode()
    assert "STAND-IN: replace with the standard" in page
    response = client.post(calc_url(application), form())
    assert response.status_code == 302
    calc = AuditTimeCalculation.objects.get(application=application)
    assert (calc.initial_days, calc.calculated_by, calc.calculated_on) == (
        Decimal("11.5"),
        people.staff,
        D(2024, 9, 2),
    )
    assert calc.inputs["factors"] == [{"percent": "-5", "justification": "mature system, low risk"}]

    page = client.get(calc_url(application)).content.decode()
    assert "Factor 1: -5% of the table time (-0.6 days). Why: mature system, low risk" in page
    assert 'value="mature system, low risk"' in page  # recalculating starts from the inputs
    page = client.get(change).content.decode()
    assert "Initial audit 11.5 auditor-days" in page
    assert reverse("admin:audits_audittimecalculation_print", args=[calc.pk]) in page


def test_bad_input_is_shown_and_nothing_recorded(client, people, application):
    client.force_login(people.staff)
    response = client.post(
        calc_url(application),
        form(**{"factors-1-percent": "+10", "factors-1-justification": ""}),
    )
    assert response.status_code == 200
    assert (
        "Factor 2 (+10%) has no justification: record why the time is increased."
        in response.content.decode()
    )
    assert not AuditTimeCalculation.objects.exists()


def test_multi_site_and_integration_from_the_form(client, people, application):
    client.force_login(people.staff)
    response = client.post(
        calc_url(application),
        form(
            **{
                "sites-TOTAL_FORMS": "2",
                "sites-0-name": "HQ",
                "sites-0-personnel": "60",
                "sites-1-name": "Shanghai",
                "sites-1-personnel": "30",
                "sites-1-reduction_percent": "40",
                "sites-1-justification": "same processes",
                "integration_percent": "10",
                "integration_justification": "one system",
            }
        ),
    )
    # one standard: an integration reduction is refused with the reason
    assert response.status_code == 200
    assert (
        "An integration reduction applies only to an integrated audit of several standards."
        in response.content.decode()
    )
    response = client.post(
        calc_url(application),
        form(
            **{
                "sites-TOTAL_FORMS": "2",
                "sites-0-name": "HQ",
                "sites-0-personnel": "60",
                "sites-1-name": "Shanghai",
                "sites-1-personnel": "30",
                "sites-1-reduction_percent": "40",
                "sites-1-justification": "same processes",
            }
        ),
    )
    assert response.status_code == 302
    calc = AuditTimeCalculation.objects.get()
    # HQ 5 * 0.95 = 4.75; Shanghai 4 * 0.95 * 0.6 = 2.28; 7.03 -> 7
    assert calc.initial_days == Decimal(7)
    assert [s["name"] for s in calc.inputs["sites"]] == ["HQ", "Shanghai"]


def test_only_staff_may_calculate(client, people, application):
    # An auditor on no audit of this application does not see it at all (need-to-know: 404);
    # the decision maker sees it but may not calculate (403).
    client.force_login(people.auditor)
    assert client.post(calc_url(application), form()).status_code == 404
    client.force_login(people.decider)
    assert client.post(calc_url(application), form()).status_code == 403
    assert not AuditTimeCalculation.objects.exists()


def test_printable_trace_in_both_languages(client, people, application):
    calc = audit_svc.audit_time_calculate(
        application=application,
        by=people.staff,
        on=D(2024, 9, 2),
        factors=[("+10", "24/7 operations")],
    )
    client.force_login(people.staff)
    url = reverse("admin:audits_audittimecalculation_print", args=[calc.pk])
    page = client.get(url).content.decode()
    assert "STAND-IN TABLE USED" in page
    assert "Factor 1: +10% of the table time (+0.7 days). Why: 24/7 operations" in page
    assert "Year 3 of the cycle: recertification" in page
    assert application.client.legal_name in page
    assert "/zh-hans/admin/" in page  # a link to the Chinese version
    zh = client.get("/zh-hans" + url)
    assert zh.status_code == 200 and "24/7 operations" in zh.content.decode()
    # read-only: no add, no change, no delete
    assert client.get(reverse("admin:audits_audittimecalculation_add")).status_code == 403
    page = client.get(
        reverse("admin:audits_audittimecalculation_change", args=[calc.pk])
    ).content.decode()
    assert "24/7 operations" in page and 'name="_save"' not in page


def test_tables_show_the_stand_in_label(client, people):
    client.force_login(people.staff)
    page = client.get(reverse("admin:audits_audittimetable_changelist")).content.decode()
    assert page.count("STAND-IN: replace with the standard&#x27;s own table") >= 2
    itsm = AuditTimeTable.objects.get(standard__code="ISO/IEC 20000-1")
    page = client.get(reverse("admin:audits_audittimetable_change", args=[itsm.pk])).content
    assert "This is a stand-in table" in page.decode()
    page = client.get(reverse("admin:audits_audittimerow_changelist")).content.decode()
    assert reverse("admin:audits_audittimerow_import") in page
    assert reverse("admin:audits_audittimerow_export") in page


def _table_post(table, bands):
    data = {
        "standard": table.standard_id,
        "source": table.source,
        "is_stand_in": "on",
        "note": "",
        "beyond_band_width": "2200",
        "beyond_band_growth_percent": "25",
        "beyond_band_days": "1",
        "rows-TOTAL_FORMS": str(len(bands)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "1000",
    }
    for i, (lo, hi, days) in enumerate(bands):
        data.update(
            {
                f"rows-{i}-min_personnel": lo,
                f"rows-{i}-max_personnel": hi,
                f"rows-{i}-days": days,
            }
        )
    return data


def test_new_table_overlaps_refused_gaps_warned(client, people):
    from clients.models import Standard

    client.force_login(people.staff)
    std = Standard.objects.create(code="ISO 14001", edition="2015", certificate_code="EMS")
    table = AuditTimeTable(standard=std, source="IAF MD 5 (EMS)")
    add = reverse("admin:audits_audittimetable_add")
    response = client.post(add, _table_post(table, [(1, 10, "2"), (8, 20, "3")]))
    assert response.status_code == 200
    assert "overlapping bands (1-10 and 8-20)" in response.content.decode()
    assert not AuditTimeTable.objects.filter(standard=std).exists()
    response = client.post(add, _table_post(table, [(1, 10, "2"), (15, 20, "3")]), follow=True)
    assert AuditTimeTable.objects.get(standard=std).rows.count() == 2
    assert "ISO 14001:2015: no band for 11-14 people (between 1-10 and 15-20)." in (
        response.content.decode()
    )
