"""Building audit teams: every refusal reason, each warning, the bookings, and suggestions."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.formats import date_format

from audits import services as audit_svc
from audits.geo import distance_km
from audits.models import AuditRole, Booking, BookingKind, RelationshipKind
from audits.services import AuditError, TeamWarnings
from audits.services.programme import programme_audits
from certificates import services as svc
from certificates.models import Certification
from clients.models import TechnicalArea
from tests import lifecycle as lc
from tests.audits.factories import (
    all_standards_auditor,
    declare_relationship,
    leave,
    make_auditor,
)
from tests.factories import UserFactory, standard

D = datetime.date
ON = D(2025, 9, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture
def cert(people):
    """Granted 2025-01-15 (stage 1 and 2 led by ``auditor``); client in IAF 33."""
    return lc.certified(people, decided_on=D(2025, 1, 15))


@pytest.fixture
def s1(cert):
    """Surveillance 1 as the programme proposed it: 2025-11-15 .. 2025-11-16."""
    return programme_audits(cert).get(kind="surveillance", programme_year=1)


def team(audit, people, leader, members=(), experts=(), acknowledge=True):
    return audit_svc.audit_set_team(
        audit=audit,
        team_leader=leader,
        members=members,
        technical_experts=experts,
        by=people.staff,
        on=ON,
        acknowledge_warnings=acknowledge,
    )


def refused(audit, people, leader, members=(), experts=()) -> list[str]:
    before = list(Booking.objects.order_by("pk").values_list("pk", "auditor", "starts_on"))
    with pytest.raises(AuditError) as err:
        team(audit, people, leader, members, experts)
    # Nothing was written.
    assert list(Booking.objects.order_by("pk").values_list("pk", "auditor", "starts_on")) == (
        before
    )
    audit.refresh_from_db()
    assert audit.team_leader is None
    return err.value.messages


# -- A team that passes ----------------------------------------------------------------------------
def test_a_good_team_is_booked(people, s1):
    expert = make_auditor("expert", role=AuditRole.TECHNICAL_EXPERT)
    result = team(s1, people, people.auditor, [people.auditor2], [expert])
    s1.refresh_from_db()
    assert s1.team_leader == people.auditor
    assert set(s1.members.all()) == {people.auditor2, expert}
    assert set(s1.bookings.values_list("auditor", "role", "kind", "starts_on", "ends_on")) == {
        (people.auditor.pk, "team_leader", "audit", s1.planned_start, s1.planned_end),
        (people.auditor2.pk, "auditor", "audit", s1.planned_start, s1.planned_end),
        (expert.pk, "technical_expert", "audit", s1.planned_start, s1.planned_end),
    }
    assert result.warnings == []

    # Replacing the team replaces the bookings.
    team(s1, people, people.auditor2)
    assert list(s1.bookings.values_list("auditor", "role")) == [(people.auditor2.pk, "team_leader")]
    s1.refresh_from_db()
    assert list(s1.members.all()) == []


def test_problems_are_listed_without_writing(people, s1):
    stranger = UserFactory(username="stranger")
    assert audit_svc.audit_team_problems(audit=s1, team_leader=stranger) == [
        "stranger has no auditor profile, so no recorded qualification."
    ]
    assert audit_svc.audit_team_problems(audit=s1, team_leader=people.auditor) == []
    assert not Booking.objects.filter(audit=s1).exists()


def test_only_staff_set_teams_of_planned_audits(people, s1):
    with pytest.raises(AuditError) as err:
        audit_svc.audit_set_team(audit=s1, team_leader=people.auditor, by=people.auditor, on=ON)
    assert err.value.messages == ["You do not have permission to plan audits."]
    audit_svc.audit_cancel(audit=s1, reason="client asked", by=people.staff, on=ON)
    with pytest.raises(AuditError) as err:
        team(s1, people, people.auditor)
    assert err.value.messages == [
        "The team can be changed only while the audit is planned (it is “Cancelled”)."
    ]


# -- Refusals: the team itself ---------------------------------------------------------------------
def test_exactly_one_leader(people, s1):
    assert refused(s1, people, None, [people.auditor]) == [
        "A team has exactly one team leader: choose one."
    ]
    expert = make_auditor("expert", role=AuditRole.TECHNICAL_EXPERT)
    messages = refused(s1, people, people.auditor, [people.auditor2], [people.auditor2, expert])
    assert "auditor2 is listed more than once in the team." in messages


# -- Refusals: competence --------------------------------------------------------------------------
def test_no_profile(people, s1):
    assert refused(s1, people, UserFactory(username="plain")) == [
        "plain has no auditor profile, so no recorded qualification."
    ]


def test_inactive_profile(people, s1):
    resting = make_auditor("resting")
    resting.auditor_profile.is_active = False
    resting.auditor_profile.save()
    assert refused(s1, people, resting) == ["resting is marked as not available for assignments."]


def test_not_qualified_for_the_role_or_the_standard(people, s1):
    plain_auditor = make_auditor("plain_auditor", role=AuditRole.AUDITOR)
    assert refused(s1, people, plain_auditor) == [
        "plain_auditor is not qualified as Team leader for ISO/IEC 20000-1:2018."
    ]
    qms = make_auditor("qms", std=standard("ISO 9001"))
    assert refused(s1, people, qms) == [
        "qms is not qualified as Team leader for ISO/IEC 20000-1:2018."
    ]
    # An auditor qualification fills a member's place; a team leader's too.
    team(s1, people, people.auditor, [plain_auditor])
    expert = make_auditor("expert_only", role=AuditRole.TECHNICAL_EXPERT)
    assert "expert_only is not qualified as Auditor for ISO/IEC 20000-1:2018." in refused(
        programme_audits(s1.certification).get(programme_year=2), people, people.auditor, [expert]
    )


def test_not_in_the_clients_technical_area(people, s1):
    other_area = make_auditor("energy", areas=(25,))
    assert refused(s1, people, other_area) == [
        "energy is qualified as Team leader for ISO/IEC 20000-1:2018, but in none of the "
        "client's technical areas (IAF 33)."
    ]


def test_qualification_expired_or_not_yet_valid_on_the_audit_days(people, s1):
    # s1 runs on 2025-11-15 and 2025-11-16.
    expiring = make_auditor("expiring", valid_until=D(2025, 11, 15))
    assert refused(s1, people, expiring) == [
        "expiring: the qualification as Team leader for ISO/IEC 20000-1:2018 (IAF 33) expired "
        "on 2025-11-15, before the audit's last day (2025-11-16)."
    ]
    newcomer = make_auditor("newcomer", valid_from=D(2025, 11, 16))
    assert refused(s1, people, newcomer) == [
        "newcomer: the qualification as Team leader for ISO/IEC 20000-1:2018 (IAF 33) is valid "
        "only from 2025-11-16, after the audit's first day (2025-11-15)."
    ]


def test_the_team_together_covers_every_area(people, s1):
    client = s1.certification.client
    client.technical_areas.add(TechnicalArea.objects.get(code=19))
    messages = refused(s1, people, people.auditor, [people.auditor2])
    assert messages == ["Together the team does not cover the client's technical areas: IAF 19."]
    electronics = make_auditor("electronics", areas=(19,), role=AuditRole.AUDITOR)
    team(s1, people, people.auditor, [electronics])


# -- Refusals: impartiality ------------------------------------------------------------------------
def test_ongoing_consultancy(people, s1):
    client = s1.certification.client
    declare_relationship(people.auditor2, client, started_on=D(2024, 3, 1), ended_on=None)
    assert refused(s1, people, people.auditor2) == [
        f"auditor2 has an ongoing Consultancy relationship with {client} (since 2024-03-01) "
        "and may not audit it."
    ]


def test_employment_ended_less_than_two_years_before(people, s1):
    client = s1.certification.client
    declare_relationship(
        people.auditor2,
        client,
        kind=RelationshipKind.EMPLOYMENT,
        started_on=D(2018, 1, 1),
        ended_on=D(2023, 11, 16),
    )
    assert refused(s1, people, people.auditor2) == [
        f"auditor2 had a Employment relationship with {client} that ended on 2023-11-16, less "
        "than 2 years before the audit's first day (2025-11-15): not before 2025-11-16."
    ]


def test_consultancy_ended_two_years_before_the_first_day_does_not_bar(people, s1):
    client = s1.certification.client
    declare_relationship(
        people.auditor2, client, started_on=D(2020, 1, 1), ended_on=D(2023, 11, 15)
    )
    team(s1, people, people.auditor2)


def test_designated_decision_maker(people, cert, s1):
    Certification.objects.filter(pk=cert.pk).update(decision_maker=people.auditor2)
    s1.refresh_from_db()
    assert refused(s1, people, people.auditor, [people.auditor2]) == [
        "auditor2 is the designated decision maker of this certification and cannot be on its "
        "audit team."
    ]


def test_who_decided_in_this_cycle(people):
    decider = make_auditor("decides_too", valid_until=D(2099, 1, 1))
    decider.groups.add(Group.objects.get(name="Decision maker"))
    crew = lc.People(
        staff=people.staff, auditor=people.auditor, auditor2=people.auditor2, decider=decider
    )
    cert = lc.certified(crew, decided_on=D(2025, 1, 15))
    s1 = programme_audits(cert).get(kind="surveillance", programme_year=1)
    assert refused(s1, people, decider) == [
        "decides_too took a decision on this certification in the current cycle (Grant on "
        "2025-01-15) and cannot be on its audit team."
    ]


# -- Refusals: availability ------------------------------------------------------------------------
def test_on_leave(people, s1):
    leave(people.auditor2, D(2025, 11, 16), D(2025, 11, 20))
    assert refused(s1, people, people.auditor2) == [
        "auditor2 is not free from 2025-11-15 to 2025-11-16: on leave, 2025-11-16 to 2025-11-20."
    ]


def test_other_booking(people, s1):
    Booking.objects.create(
        auditor=people.auditor2,
        kind=BookingKind.OTHER,
        starts_on=D(2025, 11, 14),
        ends_on=D(2025, 11, 15),
        note="CNAS witness",
    )
    assert refused(s1, people, people.auditor2) == [
        "auditor2 is not free from 2025-11-15 to 2025-11-16: booked elsewhere (CNAS witness), "
        "2025-11-14 to 2025-11-15."
    ]


def test_already_on_another_audit(people, s1):
    crew = lc.People(
        staff=people.staff,
        auditor=all_standards_auditor("lead_b"),
        auditor2=all_standards_auditor("member_b"),
        decider=people.decider,
    )
    other = lc.certified(crew, decided_on=D(2025, 1, 15))
    other_s1 = programme_audits(other).get(kind="surveillance", programme_year=1)
    team(other_s1, people, people.auditor2)
    messages = refused(s1, people, people.auditor2)
    assert messages == [
        f"auditor2 is not free from 2025-11-15 to 2025-11-16: on the audit “{other_s1}”, "
        f"{other_s1.planned_start} to {other_s1.planned_end}."
    ]
    # Cancelled, it frees the auditor.
    audit_svc.audit_cancel(audit=other_s1, reason="moved", by=people.staff, on=ON)
    team(s1, people, people.auditor2)


# -- The other paths go through the same rules -----------------------------------------------------
def test_stage_plans_and_audit_plan_refuse_the_same(people):
    unqualified = UserFactory(role="Auditor", username="unqualified")
    cert = lc.accept(lc.apply(people), people, D(2024, 9, 10))
    with pytest.raises(AuditError) as err:
        svc.certification_plan_stage1(
            certification=cert,
            planned_start=D(2024, 10, 1),
            planned_end=D(2024, 10, 2),
            team_leader=unqualified,
            by=people.staff,
            on=D(2024, 9, 17),
        )
    assert err.value.messages == [
        "unqualified has no auditor profile, so no recorded qualification."
    ]
    cert.refresh_from_db()
    assert cert.state == "accepted" and not cert.audits.exists()

    active = lc.certified(people, decided_on=D(2025, 1, 15))
    with pytest.raises(AuditError):
        audit_svc.audit_plan(
            certification=active,
            kind="special",
            planned_start=D(2025, 6, 1),
            planned_end=D(2025, 6, 1),
            team_leader=unqualified,
            by=people.staff,
        )
    assert not active.audits.filter(kind="special").exists()


# -- Warnings --------------------------------------------------------------------------------------
def not_time(warnings):
    """The warnings but the audit-time one (a lone auditor for 2 days is short of the 2.5
    auditor-days of these surveillances: see the audit-time test below)."""
    return [w for w in warnings if not w.startswith("Audit time:")]


def test_rotation_is_a_warning(people, cert):
    # ``auditor`` led stage 1 and stage 2; surveillance 1 makes three in a row, the fourth
    # (surveillance 2) is more than ROTATION_MAX_CONSECUTIVE (3).
    audits = {a.programme_year: a for a in programme_audits(cert)}
    assert not_time(team(audits[1], people, people.auditor).warnings) == []
    with pytest.raises(TeamWarnings) as err:
        team(audits[2], people, people.auditor, acknowledge=False)
    rotation = (
        f"Rotation: auditor has led the last 3 audits of {cert.client} in a row (policy: change "
        "the team leader after 3)."
    )
    assert err.value.warnings == [rotation]
    assert err.value.messages[-1] == (
        "Read the warnings above and confirm that you have, to save this team anyway."
    )
    audits[2].refresh_from_db()
    assert audits[2].team_leader is None
    assert not_time(team(audits[2], people, people.auditor).warnings) == [rotation]
    assert not_time(team(audits[2], people, people.auditor2, acknowledge=False).warnings) == []


def test_no_impartiality_declaration_is_a_warning(people, s1):
    undeclared = make_auditor("undeclared", declare_years=(2024,))
    with pytest.raises(TeamWarnings) as err:
        team(s1, people, undeclared, acknowledge=False)
    assert err.value.warnings == [
        "undeclared has not signed the impartiality declaration for 2025."
    ]


def test_training_and_internal_audit_are_warnings(people, s1):
    client = s1.certification.client
    declare_relationship(
        people.auditor2,
        client,
        kind=RelationshipKind.TRAINING,
        started_on=D(2024, 5, 1),
        ended_on=D(2024, 5, 3),
    )
    result = team(s1, people, people.auditor2)
    assert not_time(result.warnings) == [
        f"auditor2 declared a Training relationship with {client} (2024-05-01 - 2024-05-03)."
    ]


# -- Suggestions -----------------------------------------------------------------------------------
def test_geography():
    assert distance_km("北京", "Beijing") == 0
    assert distance_km("Atlantis", "Atlantis") == 0
    assert distance_km("北京", "Atlantis") is None
    assert 1000 < distance_km("北京", "上海") < 1100
    assert 1800 < distance_km("Beijing", "广州市") < 1950
    assert distance_km("xian", "Xi'an") == 0


def test_suggestions_nearest_first_and_only_the_possible(people, s1, django_assert_max_num_queries):
    client = s1.certification.client  # in 北京
    shanghai = make_auditor("shanghai", city="上海")
    guangzhou = make_auditor("guangzhou", city="Guangzhou")
    nowhere = make_auditor("nowhere", city="Atlantis")
    beijing = make_auditor("beijing", city="Beijing")
    barred = make_auditor("barred", city="北京")
    declare_relationship(barred, client, started_on=D(2024, 1, 1), ended_on=None)
    busy = make_auditor("busy", city="北京")
    leave(busy, D(2025, 11, 16), D(2025, 11, 16))
    make_auditor("member_only", city="北京", role=AuditRole.AUDITOR)
    make_auditor("other_area", city="北京", areas=(19,))
    deciding = make_auditor("deciding", city="北京")
    Certification.objects.filter(pk=s1.certification_id).update(decision_maker=deciding)
    s1.refresh_from_db()

    with django_assert_max_num_queries(12):
        suggestions = audit_svc.auditor_suggestions(audit=s1)
    names = [s.name for s in suggestions]
    # people.auditor and auditor2 (home 北京 by default) are free too.
    assert names == ["auditor", "auditor2", "beijing", "shanghai", "guangzhou", "nowhere"]
    assert [s.user for s in suggestions][2:] == [beijing, shanghai, guangzhou, nowhere]
    assert suggestions[0].distance_km == 0
    assert suggestions[-1].distance_km is None
    assert suggestions[3].qualification_labels() == ["IAF 33 Team leader (→ 2030-12-31)"]

    # As a member, an auditor qualification is enough; on other days the busy one is free.
    members = audit_svc.auditor_suggestions(
        audit=s1,
        planned_start=D(2025, 12, 1),
        planned_end=D(2025, 12, 2),
        role=AuditRole.AUDITOR,
    )
    assert {"member_only", "busy"} <= {s.name for s in members}
    assert not {"barred", "deciding", "other_area"} & {s.name for s in members}


def test_suggestions_keep_a_constant_number_of_queries(people, s1, django_assert_num_queries):
    for n in range(3):
        make_auditor(f"a{n}", city="上海")
    with CaptureQueriesContext(connection) as few:
        assert len(audit_svc.auditor_suggestions(audit=s1)) == 5
    for n in range(3, 12):
        make_auditor(f"a{n}", city="上海")
    s1.refresh_from_db()
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(audit_svc.auditor_suggestions(audit=s1)) == 14


# -- The admin -------------------------------------------------------------------------------------
def team_url(audit):
    return reverse("admin:audits_audit_team", args=[audit.pk])


def test_admin_team_form_refuses_warns_and_suggests(client, people, cert):
    audits = {a.programme_year: a for a in programme_audits(cert)}
    make_auditor("shanghai", city="上海")
    client.force_login(people.staff)
    page = client.get(team_url(audits[1])).content.decode()
    assert "Suggestions" in page and "shanghai" in page and "IAF 33 Team leader" in page
    assert page.index(">auditor<") < page.index(">shanghai<")  # nearest (北京) first

    stranger = UserFactory(username="stranger")
    page = client.post(team_url(audits[1]), {"team_leader": stranger.pk}).content.decode()
    assert "stranger has no auditor profile, so no recorded qualification." in page
    assert not Booking.objects.filter(audit=audits[1]).exists()

    response = client.post(team_url(audits[1]), {"team_leader": people.auditor.pk})
    assert response.status_code == 302
    # The fourth audit in a row by the same leader: a warning to acknowledge first.
    page = client.post(team_url(audits[2]), {"team_leader": people.auditor.pk}).content.decode()
    assert "Rotation: auditor has led the last 3 audits" in page
    audits[2].refresh_from_db()
    assert audits[2].team_leader is None
    response = client.post(
        team_url(audits[2]), {"team_leader": people.auditor.pk, "acknowledge_warnings": "on"}
    )
    assert response.status_code == 302
    audits[2].refresh_from_db()
    assert audits[2].team_leader == people.auditor

    change = client.get(reverse("admin:audits_audit_change", args=[audits[2].pk]))
    page = change.content.decode()
    assert date_format(D(2027, 1, 15)) in page  # due by
    assert "Reschedule / confirm dates" in page


def test_admin_reschedule_needs_a_reason_when_late(client, people, cert):
    s1 = programme_audits(cert).get(programme_year=1, kind="surveillance")
    client.force_login(people.staff)
    url = reverse("admin:audits_audit_reschedule", args=[s1.pk])
    page = client.post(
        url, {"planned_start": "2026-01-20", "planned_end": "2026-01-21"}
    ).content.decode()
    assert "The audit is due by 2026-01-15: ending it on 2026-01-21 is late." in page
    response = client.post(
        url,
        {
            "planned_start": "2026-01-20",
            "planned_end": "2026-01-21",
            "reason": "Client moves offices",
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    s1.refresh_from_db()
    assert (s1.is_late, s1.late_reason, s1.dates_confirmed) == (True, "Client moves offices", True)
    late = client.get(reverse("admin:audits_audit_changelist") + "?late=yes").content.decode()
    assert f"/admin/audits/audit/{s1.pk}/change/" in late
    unconfirmed = client.get(
        reverse("admin:audits_audit_changelist") + "?dates_confirmed__exact=0"
    ).content.decode()
    assert f"/admin/audits/audit/{s1.pk}/change/" not in unconfirmed


def test_auditors_see_only_their_audits_in_the_admin(client, people, cert):
    other = make_auditor("other")
    client.force_login(other)
    listing = client.get(reverse("admin:audits_audit_changelist")).content.decode()
    assert "0 audits" in listing or "0 个" in listing
    s1 = programme_audits(cert).get(programme_year=1, kind="surveillance")
    assert client.get(reverse("admin:audits_audit_change", args=[s1.pk])).status_code in (
        302,
        404,
    )
    assert client.get(team_url(s1)).status_code == 404
    client.force_login(people.auditor)  # led stage 1 and stage 2
    listing = client.get(reverse("admin:audits_audit_changelist")).content.decode()
    stage2 = cert.latest_stage2()
    assert f"/admin/audits/audit/{stage2.pk}/change/" in listing
    assert f"/admin/audits/audit/{s1.pk}/change/" not in listing
    findings = client.get(reverse("admin:audits_finding_changelist"))
    assert findings.status_code == 200


def test_certification_page_lists_the_programme(client, people, cert):
    client.force_login(people.staff)
    page = client.get(
        reverse("admin:certificates_certification_change", args=[cert.pk])
    ).content.decode()
    assert "audits and programme" in page.lower()
    assert date_format(D(2026, 1, 15)) in page and date_format(D(2028, 1, 14)) in page
    assert "no team yet" in page


def test_planned_auditor_days_short_of_the_audit_time_warn_but_do_not_refuse(cert, s1, people):
    """Issue 15 item 9: surveillance 1 needs 2.5 auditor-days (the calculation); one auditor
    for one day (2025-11-15) is 1 auditor-day: saved, with a warning. Three days are enough."""
    assert str(s1.audit_days) == "2.5"
    audit_svc.audit_reschedule(
        audit=s1, planned_start=D(2025, 11, 15), planned_end=D(2025, 11, 15), by=people.staff, on=ON
    )
    s1.refresh_from_db()
    result = team(s1, people, people.auditor2, acknowledge=False)
    assert result.warnings == [
        "Audit time: 1 auditor(s) on the team x 1 planned day(s) = 1 auditor-days, less than "
        "the calculated 2.5 auditor-days (technical experts do not count): add auditors or days."
    ]
    s1.refresh_from_db()
    assert s1.team_leader == people.auditor2
    assert audit_svc.audit_time_shortfall(s1) is not None
    audit_svc.audit_reschedule(
        audit=s1, planned_start=D(2025, 11, 15), planned_end=D(2025, 11, 17), by=people.staff, on=ON
    )
    s1.refresh_from_db()
    assert audit_svc.audit_time_shortfall(s1) is None
