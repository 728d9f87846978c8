# ruff: noqa: RUF001 (the Chinese sentences use full-width punctuation)
"""Issue 17: "Recommendation: …" in the history was stored in the language active when the
report was submitted, so a Chinese reader saw English (and an English reader Chinese). History
notes (core.notes) are stored in English and shown in the reader's language; rows stored in
Chinese before are recognised and translated too; a reason a person typed is shown as typed."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from django_fsm_log.models import StateLog

from audits import services as audit_svc
from audits.models import Recommendation
from audits.services.audits import NOTE_RECOMMENDATION
from certificates import services as svc
from core.notes import Note, note_text
from tests.lifecycle import D, accept, apply
from tests.workspace.conftest import signed_in

pytestmark = pytest.mark.django_db

ZH = "推荐意见：推荐认证"
EN = "Recommendation: Recommend certification"


def test_stored_in_english_shown_in_the_readers_language():
    with translation.override("zh-hans"):
        stored = NOTE_RECOMMENDATION.text(r=Recommendation.RECOMMEND)
    assert stored == EN
    with translation.override("zh-hans"):
        assert note_text(stored) == ZH
    with translation.override("en"):
        assert note_text(stored) == EN


def test_rows_stored_in_chinese_before_read_in_english():
    with translation.override("en"):
        assert note_text(ZH) == EN
    with translation.override("zh-hans"):
        assert note_text(ZH) == ZH


@pytest.mark.parametrize(
    "typed",
    [
        "Client asked to postpone",
        "Recommendation: whatever I typed",  # the sentence, but not one of the choices
        "",
        None,
    ],
)
def test_other_text_is_shown_as_stored(typed):
    with translation.override("zh-hans"):
        assert note_text(typed) == (typed or "")


def test_free_parts_kept_and_repeated_parts():
    note = Note(translation.gettext_lazy("No audit needed: %(why)s"))
    stored = note.text(why="same sites, same processes")
    assert stored == "No audit needed: same sites, same processes"
    with translation.override("zh-hans"):
        assert note_text(stored) == "无需审核：same sites, same processes"


def _submitted(people):
    cert = accept(apply(people), people, D(2024, 9, 10))
    cert, audit = svc.certification_plan_stage1(
        certification=cert,
        planned_start=D(2024, 10, 1),
        planned_end=D(2024, 10, 2),
        team_leader=people.auditor,
        by=people.staff,
        on=D(2024, 9, 15),
    )
    audit = audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2024, 10, 1))
    return cert, audit


def test_report_submitted_from_a_chinese_page_is_stored_in_english(people):
    _cert, audit = _submitted(people)
    with translation.override("zh-hans"):
        audit_svc.audit_submit_report(
            audit=audit,
            recommendation=Recommendation.READY_FOR_STAGE2,
            by=people.auditor,
            on=D(2024, 10, 2),
        )
    log = StateLog.objects.get(transition="submit_report", object_id=audit.pk)
    assert log.description == "Recommendation: Ready for stage 2"
    with translation.override("zh-hans"):
        assert note_text(log.description) == "推荐意见：具备第二阶段审核条件"


def test_client_page_history_in_the_readers_language(people, staff):
    cert, audit = _submitted(people)
    with translation.override("en"):
        audit_svc.audit_submit_report(
            audit=audit,
            recommendation=Recommendation.READY_FOR_STAGE2,
            by=people.auditor,
            on=D(2024, 10, 2),
        )
    client = signed_in(staff)
    with translation.override("zh-hans"):
        url = reverse("workspace:client", args=[cert.client_id])
    html = client.get(url).content.decode()
    assert "推荐意见：具备第二阶段审核条件" in html
    assert "Recommendation: Ready for stage 2" not in html
    with translation.override("en"):
        url = reverse("workspace:client", args=[cert.client_id])
    html = client.get(url).content.decode()
    assert "Recommendation: Ready for stage 2" in html


def test_designated_decision_maker_note_names_the_person(people):
    people.decider.first_name, people.decider.last_name = "建华", "王"
    people.decider.save()
    cert = apply(people)
    with translation.override("zh-hans"):
        svc.certification_designate_decision_maker(
            certification=cert, decision_maker=people.decider, by=None
        )
    log = StateLog.objects.filter(transition="designate_decision_maker").latest("pk")
    assert log.description == "Designated decision maker: 王建华"
    with translation.override("zh-hans"):
        assert note_text(log.description) == "指定认证决定人员：王建华"


def test_every_date_part_is_kept():
    stored = "Surveillance counted (Surveillance 2025-06-01 - X); next surveillance due: 2026-01-15"
    with translation.override("zh-hans"):
        shown = note_text(stored)
    assert shown.startswith("监督审核已计入（") and shown.endswith("2026-01-15")
    assert datetime.date(2026, 1, 15).isoformat() in shown
