# ruff: noqa: RUF001 (the Chinese sentences use full-width punctuation)
"""Issue 17: "Recommendation: …" in the history was stored in the language active when the
report was submitted, so a Chinese reader saw English (and an English reader Chinese). History
notes (core.notes) are stored in English and shown in the reader's language; rows stored in
Chinese before are recognised and translated too; a reason a person typed is shown as typed."""

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation
from django_fsm_log.models import StateLog

# Imported for their notes: every module that writes one registers it when imported.
import certificates.imports.client_applications
import certificates.reminders  # noqa: F401
from audits import services as audit_svc
from audits.models import Audit, Recommendation
from audits.services.audits import NOTE_RECOMMENDATION
from certificates import services as svc
from certificates.models import Decision, State
from certificates.services import decisions as decision_notes
from certificates.services.stages import NOTE_SURVEILLANCE
from core import notes as core_notes
from core.notes import Note, note_text
from reminders.registry import scan_all
from tests import lifecycle as lc
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


# -- Every note the system writes (issue 17: "Suspension deadline passed", "Certification
# withdrawn: …", "Surveillance counted (…)" … on Chinese pages) ----------------------------------

PART = re.compile(r"%\((\w+)\)[sd]")


def _sample_parts(note) -> dict:
    """A value for each part of ``note``: a choice's first value, else a typed-looking text."""
    parts = {}
    for name in PART.findall(note.msgid):
        if name in note.choices:
            parts[name] = note._choices(name)[0][0]
        else:
            parts[name] = f"typed {name} 1"
    return parts


def _registered():
    return [pytest.param(n, id=n.msgid[:40]) for n in core_notes._notes]


@pytest.mark.parametrize("note", _registered())
def test_every_note_the_system_writes_is_read_in_chinese(note):
    parts = _sample_parts(note)
    with translation.override("zh-hans"):
        stored = note.text(**parts)  # written from a Chinese page: still stored in English
    with translation.override("en"):
        assert stored == note.render(**parts)
        assert note_text(stored) == stored
    with translation.override("zh-hans"):
        shown = note_text(stored)
    assert shown != stored, f"{stored!r} has no Chinese sentence"
    for name, value in parts.items():
        if name not in note.choices:
            assert value in shown  # what a person typed (or a date, a name) as it was
    # A row written in Chinese before notes existed reads in English.
    with translation.override("en"):
        assert note_text(shown) == stored


def test_the_notes_are_the_ones_the_writers_use():
    """The writers of issue 17's sentences are registered (a new writer that forgets to make
    its sentence a Note stays English on Chinese pages)."""
    messages = {n.msgid for n in core_notes._notes}
    for sentence in (
        "Expiry date passed without a recertification decision.",
        "Certification withdrawn: %(reason)s",
        "Certification cancelled at the client's request: %(reason)s",
        "Certification cancelled (the client ceased the certified activities): %(reason)s",
        "The certificate expired: no surveillance in an expired cycle.",
        "A new cycle began: its own programme replaces this audit.",
        "Recommendation: %(r)s",
        "New application",
        "Imported from a client list.",
        "The certificate expired on %(day)s: this audit is for its restoration within the window.",
    ):
        assert sentence in messages, sentence


def _descriptions(model, **filters):
    return list(
        StateLog.objects.filter(content_type=ContentType.objects.get_for_model(model), **filters)
        .order_by("pk")
        .values_list("transition", "description")
    )


def test_withdrawal_from_a_chinese_page_cancels_the_programme_in_english(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with translation.override("zh-hans"):
        svc.certification_withdraw(
            certification=cert, reason="客户申请撤销", by=people.decider, on=D(2025, 6, 1)
        )
    cancelled = _descriptions(Audit, transition="cancel")
    assert cancelled and {d for _t, d in cancelled} == {"Certification withdrawn: 客户申请撤销"}
    with translation.override("zh-hans"):
        assert note_text(cancelled[0][1]) == "认证已撤销：客户申请撤销"
    # The reason the decision maker typed: as typed, in every language.
    decision = Decision.objects.filter(certification=cert).latest("pk")
    assert decision.reason == "客户申请撤销"
    with translation.override("en"):
        assert note_text(decision.reason) == "客户申请撤销"


def test_expiry_by_the_nightly_task_is_read_in_chinese(people, staff):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with translation.override("zh-hans"):  # whatever language the task runs in
        svc.expire_due_certifications(on=D(2028, 1, 15))
    cert.refresh_from_db()
    assert cert.state == State.EXPIRED
    log = StateLog.objects.for_(cert).latest("pk")
    assert log.description == "Expiry date passed without a recertification decision."
    cancelled = _descriptions(Audit, transition="cancel")
    assert cancelled
    assert {d for _t, d in cancelled} == {
        "The certificate expired: no surveillance in an expired cycle."
    }
    client = signed_in(staff)
    with translation.override("zh-hans"):
        html = client.get(reverse("workspace:certification", args=[cert.pk])).content.decode()
        html += client.get(reverse("workspace:client", args=[cert.client_id])).content.decode()
    assert "证书已到期，且未作出再认证决定。" in html
    assert "Expiry date passed" not in html


@pytest.mark.usefixtures("certsearch_uploaded")
def test_automatic_suspension_reason_is_read_in_the_readers_language(people, staff, settings):
    settings.CERTBODY = {**settings.CERTBODY, "SURVEILLANCE_OVERDUE_ACTION": "suspend"}
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with translation.override("zh-hans"):
        scan_all(today=D(2026, 1, 16))
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED
    stored = decision_notes.NOTE_SUSPENDED_AUTOMATICALLY.text(due="2026-01-15")
    decision = Decision.objects.filter(certification=cert).latest("pk")
    assert decision.reason == stored
    assert stored.startswith("Surveillance due by 2026-01-15 was not held")
    assert StateLog.objects.for_(cert).latest("pk").description == stored
    client = signed_in(staff)
    with translation.override("zh-hans"):
        shown = note_text(stored)
        html = client.get(reverse("workspace:client", args=[cert.client_id])).content.decode()
        html += client.get(reverse("workspace:certification", args=[cert.pk])).content.decode()
    assert shown != stored and "2026-01-15" in shown
    assert "was not held" not in html
    assert shown[:20] in html


def test_counted_surveillance_names_the_audit_in_the_readers_language(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with translation.override("zh-hans"):
        audit = lc.surveillance(cert, people, start=D(2025, 12, 1))
    log = StateLog.objects.for_(cert).filter(transition="record_surveillance").latest("pk")
    assert log.description == (
        f"Surveillance counted (Surveillance 2025-12-01 - {cert}); next surveillance due: "
        "2027-01-15"
    )
    assert audit.planned_start == D(2025, 12, 1)
    with translation.override("zh-hans"):
        shown = note_text(log.description)
    assert shown.startswith("监督审核已计入（监督审核 2025-12-01 - ")
    assert "Surveillance" not in shown and shown.endswith("2027-01-15")
    assert NOTE_SURVEILLANCE.parse(log.description)["kind"] == "surveillance"


def test_a_person_typed_reason_is_never_translated(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with translation.override("en"):
        svc.certification_suspend(
            certification=cert, reason="Client asked", by=people.decider, on=D(2025, 6, 1)
        )
    log = StateLog.objects.for_(cert).latest("pk")
    assert log.description == "Client asked"
    with translation.override("zh-hans"):
        assert note_text(log.description) == "Client asked"
