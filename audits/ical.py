"""An auditor's private iCalendar feed (RFC 5545, the ``icalendar`` package).

One all-day VEVENT per audit the auditor is on and that is not cancelled; DTEND is exclusive
(the day after the last audit day). The UID is stable per audit, so a calendar app updates
the event when staff move the audit instead of adding a second one.
"""

import datetime

import icalendar
from django.utils.translation import gettext as _

from core.names import person_name

from .audit_time.display import audit_time_text
from .models import AuditKind
from .selectors import audit_sites, audit_span

PRODID = "-//certbody//auditor calendar//EN"
UID_DOMAIN = "certbody"


def audit_uid(audit) -> str:
    return f"audit-{audit.pk}@{UID_DOMAIN}"


def _name(user) -> str:
    return person_name(user)


def _event(audit, *, stamp: datetime.datetime) -> icalendar.Event:
    start, end = audit_span(audit)
    client = audit.certification.client
    event = icalendar.Event()
    event.add("uid", audit_uid(audit))
    event.add("dtstamp", stamp)
    if getattr(audit, "last_change", None):
        event.add("last-modified", audit.last_change)
    event.add("dtstart", start)
    event.add("dtend", end + datetime.timedelta(days=1))
    event.add("summary", f"{audit.get_kind_display()}: {client}")
    sites = audit_sites(audit)
    if sites:
        event.add("location", sites[0].address)
    team = (
        [_("Team leader: %(name)s") % {"name": _name(audit.team_leader)}]
        if (audit.team_leader_id)
        else []
    )
    members = [_name(m) for m in audit.members.all() if m.pk != audit.team_leader_id]
    if members:
        team.append(_("Members: %(names)s") % {"names": ", ".join(members)})
    lines = [
        _("Standard: %(standard)s") % {"standard": audit.certification.standard},
        *team,
    ]
    if audit.audit_days is not None:
        text = audit_time_text(
            audit.audit_days, audit.onsite_days, stage1=audit.kind == AuditKind.STAGE1
        )
        lines.append(_("Audit time: %(time)s") % {"time": text})
    if not audit.dates_confirmed:
        lines.append(_("Dates proposed, not yet confirmed."))
    lines.append(_("State: %(state)s") % {"state": audit.get_state_display()})
    if len(sites) > 1:
        lines.append(_("Sites: %(sites)s") % {"sites": "; ".join(s.address for s in sites)})
    event.add("description", "\n".join(str(line) for line in lines))
    event.add("status", "CONFIRMED" if audit.dates_confirmed else "TENTATIVE")
    event.add("transp", "OPAQUE")
    return event


def audit_calendar(profile, audits, *, now: datetime.datetime) -> bytes:
    """The feed of ``profile``'s ``audits`` (from selectors.feed_audits) as RFC 5545 bytes."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("certbody audits: %(name)s") % {"name": _name(profile.user)})
    # Ask subscribing apps to refresh hourly (RFC 7986 and the older Apple/Google property).
    cal.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for audit in audits:
        cal.add_component(_event(audit, stamp=now))
    return cal.to_ical()
