"""Issue 17: the audit-time display contradicted itself ("4.5 d (on site >= 5.5)", stage 1 "on
site >= -") and the audit's trace and the sample note showed English or raw values in Chinese.
The on-site minimum belongs to the initial audit as a whole (stage 1 + stage 2, IAF MD 5):
each stage shows its own share, never more than its days; traces are stored as data and
printed in the reader's language; the sample names its kind and sites."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from audits.audit_time.display import (
    audit_time_text,
    render_audit_trace,
    stage_figures,
    stage_onsite,
    trace_line,
)
from audits.ical import audit_calendar
from audits.models import Audit, AuditKind, AuditorProfile
from audits.sampling import sample_note
from audits.services import audit_time_calculate
from audits.services.programme import apply_audit_time
from tests import lifecycle as lc
from tests.audits.factories import calculation

D = datetime.date
pytestmark = pytest.mark.django_db


# -- one phrase, never contradicting itself ------------------------------------------------------
def test_audit_time_text_is_coherent():
    assert audit_time_text(Decimal("3.0"), Decimal("2.5")) == (
        "3 auditor-days, of which at least 2.5 on site"
    )
    # An on-site minimum recorded above the days (an older calculation): all of them.
    assert audit_time_text(Decimal("4.5"), Decimal("5.5")) == "4.5 auditor-days, all on site"
    assert audit_time_text(Decimal("4.5"), Decimal("4.5")) == "4.5 auditor-days, all on site"
    # Stage 1 whose share of the minimum is nil: says so, no "at least 0" and no "-".
    text = audit_time_text(Decimal("1.5"), Decimal("0"), stage1=True)
    assert text.startswith("1.5 auditor-days, none required on site")
    assert audit_time_text(Decimal("1.5"), None) == (
        "1.5 auditor-days (on-site minimum not calculated)"
    )
    assert audit_time_text(None, None) == "not calculated"
    for text in (audit_time_text(Decimal("2"), None), audit_time_text(Decimal("2"), 0)):
        assert " - " not in text and "≥" not in text and "at least 0" not in text


def test_stages_share_the_initial_on_site_minimum():
    figures = {"initial": "10", "stage1": "3", "stage2": "7", "onsite_min": "8"}
    assert stage_onsite(figures) == (Decimal(8), Decimal(1), Decimal(7))
    cells = stage_figures(
        {**figures, "surveillance": "3.5", "surveillance_onsite_min": "3", "recertification": "7"}
    )
    assert cells == {
        "initial": "10 (on site at least 8)",
        "stage1": "3 (on site at least 1)",
        "stage2": "7 (all on site)",
        "surveillance": "3.5 (on site at least 3)",
        "recertification": "7",
    }


def test_calculation_pages_show_each_stage_with_its_own_share(client, people):
    application = lc.apply(people, audit_time=False).application
    calc = audit_time_calculate(application=application, by=people.staff, on=D(2024, 9, 2))
    figures = calc.results[next(iter(calc.results))]
    client.force_login(people.staff)
    page = client.get(
        reverse("admin:audits_audittimecalculation_print", args=[calc.pk])
    ).content.decode()
    stage2 = Decimal(figures["stage2"])
    assert stage_figures(figures)["stage2"] in page
    assert f"{stage2.normalize():f} (all on site)" in page or "(on site at least" in page
    # No bare "On site at least" column beside stage 2 any more.
    assert '<th class="num">On site at least</th>' not in page
    calc_page = client.get(
        reverse("admin:clients_application_audit_time", args=[application.pk])
    ).content.decode()
    assert stage_figures(figures)["stage1"] in calc_page
    assert "<th>On site at least</th>" not in calc_page


# -- the audit's trace, in the reader's language ------------------------------------------------
def test_trace_lines_are_data_printed_in_the_readers_language():
    line = trace_line(
        "from_calculation",
        on="2025-01-01",
        pk=7,
        what="stage2",
        days=Decimal("4.0"),
        onsite=Decimal("3.5"),
    )
    assert line["text"] == (
        "From the audit-time calculation of 2025-01-01 (#7), stage 2: 4 auditor-days, of "
        "which at least 3.5 on site."
    )
    with translation.override("zh-hans"):
        (zh,) = render_audit_trace([line])
    assert zh.startswith("依据 2025-01-01 的审核时间计算\uff08#7\uff09")
    assert "stage" not in zh
    # A trace written before (plain strings) is shown as it was stored.
    assert render_audit_trace(["an old line"]) == ["an old line"]


def test_programme_audits_get_a_translatable_trace(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    calculation(cert.application, on=D(2025, 1, 20))
    audit = Audit.objects.filter(certification=cert, kind=AuditKind.SURVEILLANCE).first()
    apply_audit_time(audit)
    audit.refresh_from_db()
    assert audit.audit_time_trace[0]["step"] == "from_calculation"
    with translation.override("zh-hans"):
        zh = render_audit_trace(audit.audit_time_trace)
    assert "审核人日" in zh[0] and "auditor-days" not in zh[0]


# -- the auditor's page, the calendar feed: names and audit time --------------------------------
@pytest.fixture
def chinese_leader(people):
    leader = people.auditor
    leader.first_name, leader.last_name = "建华", "王"
    leader.save()
    return leader


def test_auditor_page_names_family_name_first_and_time_coherent(client, people, chinese_leader):
    cert = lc.accept(lc.apply(people), people, D(2024, 9, 10))
    calculation(cert.application, stage1="1.5", stage2="3.5", onsite_min="4.5")
    cert, stage1 = lc.stage1(cert, people, start=D(2024, 10, 1))
    stage1.refresh_from_db()
    client.force_login(chinese_leader)
    html = client.get(reverse("audits:audit_detail", args=[stage1.pk])).content.decode()
    assert "王建华" in html and "建华 王" not in html
    assert audit_time_text(stage1.audit_days, stage1.onsite_days, stage1=True) in html
    assert "on site ≥" not in html and "at least - on site" not in html
    zh = client.get("/zh-hans" + reverse("audits:audit_detail", args=[stage1.pk]))
    assert "依据" in zh.content.decode()  # the trace, in Chinese


def test_calendar_feed_names_and_time(people, chinese_leader):
    cert = lc.accept(lc.apply(people), people, D(2024, 9, 10))
    cert, stage1 = lc.stage1(cert, people, start=D(2024, 10, 1))
    Audit.objects.filter(pk=stage1.pk).update(audit_days=Decimal("4.5"), onsite_days=Decimal("5.5"))
    profile, _ = AuditorProfile.objects.get_or_create(user=chinese_leader)
    feed = audit_calendar(
        profile, Audit.objects.filter(pk=stage1.pk), now=datetime.datetime.now(datetime.UTC)
    ).decode()
    unfolded = feed.replace("\r\n ", "")
    assert "王建华" in unfolded
    assert "4.5 auditor-days\\, all on site" in unfolded
    assert "5.5" not in unfolded


# -- the sample note --------------------------------------------------------------------------
def test_sample_note_names_kind_and_sites():
    trace = {
        "kind": "initial",
        "seed": 42,
        "size": 2,
        "central": 1,
        "random": [3],
        "preferred_unvisited_first": [4],
        "visited_before": [],
    }
    names = {1: "总部", 3: "上海分部", 4: "广州分部"}
    note = sample_note(trace, names)
    assert note == (
        "Drawn for Initial audit: 2 besides the central function; seed 42; at random 上海分部; "
        "then not yet visited first 广州分部; visited before in the cycle none."
    )
    with translation.override("zh-hans"):
        zh = sample_note(trace, names)
    assert zh == (
        "为初次认证审核抽取：中心职能以外 2 个场所；随机种子 42；随机抽取 上海分部；"  # noqa: RUF001
        "其次优先抽取尚未审核过的场所 广州分部；本周期内已审核过的场所 无。"  # noqa: RUF001
    )
    assert sample_note({}, names) == ""
