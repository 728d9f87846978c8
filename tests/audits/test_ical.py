"""The private iCalendar feed (RFC 5545): parsed back with the icalendar package; only the
auditor's own audits; revoking the token stops the old URL."""

import datetime
from decimal import Decimal

import icalendar
import pytest
from django.urls import reverse

from audits import services as audit_svc
from audits.models import AuditorProfile, AuditState
from tests.audits.factories import make_auditor
from tests.audits.test_auditor_portal import make_audit
from tests.factories import ClientFactory, UserFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def feed_url(user) -> str:
    user.auditor_profile.refresh_from_db()
    return reverse("audits:feed", args=[user.auditor_profile.calendar_token])


def events(client, user) -> dict[str, icalendar.Event]:
    response = client.get(feed_url(user))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(response.content)
    assert str(cal["VERSION"]) == "2.0"
    assert "certbody audits" in str(cal["X-WR-CALNAME"])
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_feed_has_one_all_day_event_per_audit_i_am_on(client):
    li, wang, zhao = make_auditor("li"), make_auditor("wang"), make_auditor("zhao")
    li.first_name, li.last_name = "Li", "Na"
    li.save()
    acme = ClientFactory(legal_name="广州示例科技有限公司", address="广州市天河区体育西路1号")
    led = make_audit(
        leader=li,
        members=[wang],
        start=D(2025, 3, 10),
        end=D(2025, 3, 12),
        client=acme,
        audit_days=Decimal("3.0"),
        onsite_days=Decimal("2.5"),
    )
    member = make_audit(
        leader=wang, members=[li], start=D(2025, 5, 6), end=D(2025, 5, 6), dates_confirmed=False
    )
    make_audit(leader=li, start=D(2025, 4, 1), end=D(2025, 4, 2), state=AuditState.CANCELLED)
    others = make_audit(leader=zhao, start=D(2025, 3, 10), end=D(2025, 3, 11))

    found = events(client, li)
    assert set(found) == {f"audit-{led.pk}@certbody", f"audit-{member.pk}@certbody"}
    assert f"audit-{others.pk}@certbody" not in found

    event = found[f"audit-{led.pk}@certbody"]
    assert event.decoded("DTSTART") == D(2025, 3, 10)
    assert event.decoded("DTEND") == D(2025, 3, 13)  # exclusive: the day after the last
    assert "VALUE=DATE" in event.to_ical().decode()
    assert str(event["SUMMARY"]) == "Surveillance: 广州示例科技有限公司"
    assert str(event["LOCATION"]) == "广州市天河区体育西路1号"
    description = str(event["DESCRIPTION"])
    assert "Standard: ISO/IEC 20000-1:2018" in description
    assert "Team leader: Li Na" in description
    assert "Members: wang" in description
    assert "Audit time: 3 auditor-days, of which at least 2.5 on site" in description
    assert str(event["STATUS"]) == "CONFIRMED"
    assert isinstance(event.decoded("DTSTAMP"), datetime.datetime)

    tentative = found[f"audit-{member.pk}@certbody"]
    assert (tentative.decoded("DTSTART"), tentative.decoded("DTEND")) == (
        D(2025, 5, 6),
        D(2025, 5, 7),
    )
    assert str(tentative["STATUS"]) == "TENTATIVE"

    # Zhao's feed has Zhao's audit only.
    assert set(events(client, zhao)) == {f"audit-{others.pk}@certbody"}


def test_uid_is_stable_and_dates_follow_the_audit(client):
    li = make_auditor("li")
    audit = make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 12))
    before = events(client, li)[f"audit-{audit.pk}@certbody"]
    assert "LAST-MODIFIED" not in before  # nothing happened to it yet
    audit_svc.audit_start(audit=audit, by=li, on=D(2025, 3, 11))
    after = events(client, li)[f"audit-{audit.pk}@certbody"]
    assert after.decoded("DTSTART") == D(2025, 3, 11)  # the actual first day
    assert after.decoded("DTEND") == D(2025, 3, 13)
    assert isinstance(after.decoded("LAST-MODIFIED"), datetime.datetime)


def test_unknown_or_inactive_token_is_a_404(client):
    li = make_auditor("li")
    assert client.get(reverse("audits:feed", args=["no-such-token"])).status_code == 404
    url = feed_url(li)
    li.is_active = False
    li.save()
    assert client.get(url).status_code == 404


def test_feed_page_shows_the_absolute_url_and_revoking_stops_the_old_one(client):
    li = make_auditor("li")
    make_audit(leader=li, start=D(2025, 3, 10), end=D(2025, 3, 12))
    old = feed_url(li)
    client.force_login(li)
    html = client.get(reverse("audits:feed_settings")).content.decode()
    assert f"http://testserver{old}" in html

    response = client.post(reverse("audits:feed_revoke"))
    assert response.status_code == 302
    new = feed_url(li)
    assert new != old
    client.logout()  # calendar apps do not log in
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    # Revoking is POST only.
    client.force_login(li)
    assert client.get(reverse("audits:feed_revoke")).status_code == 405


def test_a_user_without_a_profile_can_create_a_link(client):
    auditor = UserFactory(role="Auditor", username="newcomer")
    client.force_login(auditor)
    html = client.get(reverse("audits:feed_settings")).content.decode()
    assert "Create my calendar link" in html
    client.post(reverse("audits:feed_revoke"))
    profile = AuditorProfile.objects.get(user=auditor)
    html = client.get(reverse("audits:feed_settings")).content.decode()
    assert profile.calendar_token in html
