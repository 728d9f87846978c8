"""Team assignment (workspace:audit_team) and the admin's team page: suggestions ranked
(qualified, impartial, free, nearest) with a real distance where the cities are known, names
as people write them, only auditors offered, one-click add (plain and htmx), warnings
acknowledged before saving, refusals with nothing changed, the planning board's "assign the
nearest"."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from audits.geo import coordinates, distance_km
from audits.models import Audit, AuditorProfile, Booking
from audits.services import auditor_suggestions, programme_audits
from tests import lifecycle as lc
from tests.audits.factories import make_auditor
from tests.factories import ClientFactory, UserFactory

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def slot(people):
    """A certified client in 杭州 (given as its province and district), and its first
    surveillance: planned, no team, dates proposed."""
    client = ClientFactory(city="浙江省杭州市西湖区", address="浙江省杭州市西湖区文三路1号")
    cert = lc.certified(people, client=client)
    return programme_audits(cert).get(kind="surveillance", programme_year=1)


def team_url(audit):
    return reverse("workspace:audit_team", args=[audit.pk])


def named(username, first, last, city):
    user = make_auditor(username, city=city)
    user.first_name, user.last_name = first, last
    user.save()
    return user


# -- Where cities are -----------------------------------------------------------------------------
def test_cities_as_people_write_them():
    hangzhou = coordinates("杭州")
    assert coordinates("浙江省杭州市西湖区") == hangzhou
    assert coordinates("Hangzhou, Zhejiang") == hangzhou
    assert coordinates("10117 Berlin") == coordinates("柏林") is not None
    assert coordinates("Hamburg") is not None  # the demo's German clients
    assert coordinates("Parish") is None and coordinates("") is None
    assert 1100 < distance_km("北京", "浙江省杭州市") < 1150


def test_suggestions_have_a_real_distance_and_only_auditors(people, slot):
    near = named("near_auditor", "敏", "周", "杭州")
    # A decision maker with a qualification on file is not an auditor: not offered.
    decider_profiled = make_auditor("decider_profiled", city="杭州")
    decider_profiled.groups.set([Group.objects.get(name="Decision maker")])
    suggestions = auditor_suggestions(audit=slot)
    users = [s.user for s in suggestions]
    assert users[0] == near and suggestions[0].distance_km == 0
    assert decider_profiled not in users
    beijing = next(s for s in suggestions if s.user == people.auditor)
    assert 1100 < beijing.distance_km < 1150  # 北京 to 杭州, not "unknown"
    assert suggestions[0].name == "周敏"


def test_page_as_every_role(people, slot):
    assert signed_in(people.staff).get(team_url(slot)).status_code == 200
    page = signed_in(people.decider).get(team_url(slot)).content.decode()
    assert "Suggestions" in page and "Add as" not in page  # decision makers read
    assert signed_in(people.auditor).get(team_url(slot)).status_code == 403
    anonymous = Client().get(team_url(slot))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    for user in (people.decider, people.auditor):
        response = signed_in(user).post(team_url(slot), {"team_leader": people.auditor.pk})
        assert response.status_code == 403
    slot.refresh_from_db()
    assert slot.team_leader is None and not Booking.objects.filter(audit=slot).exists()


def test_picker_offers_auditors_by_their_names(people, slot):
    named("wang", "建华", "王", "北京")
    page = signed_in(people.staff).get("/zh-hans" + team_url(slot)).content.decode()
    leader = re.search(r'<select name="team_leader".*?</select>', page, re.S).group(0)
    assert "王建华" in leader and "建华 王" not in leader and ">wang<" not in leader
    assert f'value="{people.auditor.pk}"' in leader
    for other in (people.staff, people.decider):
        assert f'value="{other.pk}"' not in leader
    assert "km" in page and "王建华" in page


def test_add_from_a_suggestion_with_one_click(people, slot):
    near = named("near_auditor", "敏", "周", "杭州")
    client = signed_in(people.staff)
    page = client.get(team_url(slot)).content.decode()
    # The first "Add as Team leader" button proposes the nearest as team leader.
    form = re.search(r'<form method="post"[^>]*>(?:(?!</form>).)*Add as Team leader', page, re.S)
    fields = dict(re.findall(r'name="(team_leader|members)" value="(\d+)"', form.group(0)))
    assert fields == {"team_leader": str(near.pk)}
    response = client.post(team_url(slot), {"team_leader": near.pk, "acknowledge_warnings": "on"})
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.team_leader == near
    # htmx: an auditor added, the team part of the page comes back in place.
    response = client.post(
        team_url(slot),
        {"team_leader": near.pk, "members": [people.auditor2.pk], "acknowledge_warnings": "on"},
        HTTP_HX_REQUEST="true",
    )
    part = response.content.decode()
    assert response.status_code == 200 and part.lstrip().startswith('<div id="team"')
    assert "<html" not in part and "The team is set and booked." in part
    assert set(Audit.objects.get(pk=slot.pk).members.all()) == {people.auditor2}
    assert Booking.objects.filter(audit=slot).count() == 2


def test_warnings_are_acknowledged_before_saving(people, slot):
    # No impartiality declaration for the audit's year: a warning, not a refusal.
    undeclared = make_auditor("undeclared", city="杭州", declare_years=())
    client = signed_in(people.staff)
    page = client.post(team_url(slot), {"team_leader": undeclared.pk})
    text = page.content.decode()
    assert page.status_code == 200
    assert "has not signed the impartiality declaration" in text
    assert 'name="acknowledge_warnings" value="on"' in text
    slot.refresh_from_db()
    assert slot.team_leader is None
    saved = client.post(
        team_url(slot), {"team_leader": undeclared.pk, "acknowledge_warnings": "on"}
    )
    assert saved.status_code == 302
    slot.refresh_from_db()
    assert slot.team_leader == undeclared


def test_refusals_change_nothing(people, slot):
    client = signed_in(people.staff)
    stranger = UserFactory(username="stranger")
    page = client.post(team_url(slot), {"team_leader": stranger.pk}).content.decode()
    assert "stranger has no auditor profile" in page
    busy = named("busy", "强", "吴", "杭州")
    Booking.objects.create(
        auditor=busy, kind="leave", starts_on=slot.planned_start, ends_on=slot.planned_end
    )
    page = client.post(
        team_url(slot), {"team_leader": busy.pk, "acknowledge_warnings": "on"}
    ).content.decode()
    assert "吴强 is not free" in page
    slot.refresh_from_db()
    assert slot.team_leader is None and not Booking.objects.filter(audit=slot).exists()
    # Not planned any more: refused in words.
    closed = Audit.objects.filter(state="closed").first()
    response = client.post(team_url(closed), {"team_leader": people.auditor.pk})
    assert response.status_code == 400
    assert "only while the audit is planned" in response.content.decode()


def test_assign_the_nearest_from_the_board(people, slot):
    near = named("near_auditor", "敏", "周", "杭州")
    client = signed_in(people.staff)
    board = reverse("workspace:planning")
    response = client.post(team_url(slot), {"auto": "1", "next": board})
    assert response.status_code == 302 and response["Location"] == board
    slot.refresh_from_db()
    assert slot.team_leader == near
    # Unsafe next: stays on the site.
    other = programme_audits(slot.certification).get(kind="surveillance", programme_year=2)
    response = client.post(team_url(other), {"auto": "1", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]
    # Nobody free: said, nothing changed.
    AuditorProfile.objects.update(is_active=False)
    recert = programme_audits(slot.certification).get(kind="recertification")
    response = client.post(team_url(recert), {"auto": "1"})
    assert response.status_code == 400
    assert "Nobody qualified is free" in response.content.decode()


def test_admin_team_page_offers_auditors_by_name_with_distances(people, slot):
    named("wang", "建华", "王", "北京")
    client = signed_in(people.staff)
    page = client.get(reverse("admin:audits_audit_team", args=[slot.pk])).content.decode()
    leader = re.search(r'<select name="team_leader".*?</select>', page, re.S).group(0)
    assert "王建华" in leader and ">wang<" not in leader
    assert f'value="{people.decider.pk}"' not in leader
    assert f'value="{people.staff.pk}"' not in leader
    assert "1" in page and " km" in page and "unknown" not in page
    assert "Add as Team leader" in page
