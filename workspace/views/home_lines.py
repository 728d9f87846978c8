"""The lines of the home page: for each role, what needs the person now, each line a count,
a link to where it gets done (a filtered list or the page of the work) and its most urgent
rows. This module is the machinery (counting, dates in words, links); home_sections.py says
which lines each role gets, from the domain's worklist selectors
(certificates/selectors/worklist.py, audits/selectors/worklist.py), judged on ``today`` and
kept to what the person may see (core.need_to_know.visible; an auditor's lines are their own
audits).

Speed: each line is one query for its first rows and, only when they fill the line, one
bounded count (at most COUNT_LIMIT rows), whatever the size of the tables.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audits.models import Audit, Finding
from certificates.models import Certification

ITEMS = 10  # rows shown under a line
COUNT_LIMIT = 1000  # a line counts at most this many rows ("999+" beyond)
INTAKE_COUNT_LIMIT = 100


@dataclass
class Item:
    """One row of work: who (the client), what, the date that matters and how urgent."""

    title: str
    detail: str
    day: datetime.date | None
    status: str
    tone: str = ""
    url: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Line:
    key: str
    label: str
    count: int
    capped: bool
    url: str | None
    tone: str
    items: list[Item]
    day_label: str = ""
    hint: str = ""

    @property
    def shown_count(self) -> str:
        return shown_count(self.count, self.capped)

    @property
    def more(self) -> bool:
        """More rows than those shown."""
        return self.capped or self.count > len(self.items)


@dataclass
class Section:
    key: str
    title: str
    lines: list[Line]

    @property
    def urgent(self) -> int:
        return sum(1 for line in self.lines if line.count and line.tone == "bad")


def link(name: str, *args, query: dict | None = None) -> str | None:
    """The URL of ``name`` (None while the page does not exist yet), with ``query``."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def capped_count(qs, limit: int | None = None) -> tuple[int, bool]:
    """How many rows ``qs`` has, counting at most ``limit`` (COUNT_LIMIT): (count, capped);
    a capped count is shown as "999+" (the limit less one, and more)."""
    limit = limit or COUNT_LIMIT
    count = qs.order_by().values("pk")[:limit].count()
    return (limit - 1, True) if count >= limit else (count, False)


def summed_count(querysets) -> tuple[int, bool]:
    """``capped_count`` of disjoint querysets added up (capped when any of them is)."""
    counts = [capped_count(qs) for qs in querysets]
    return sum(count for count, _capped in counts), any(capped for _count, capped in counts)


def shown_count(count: int, capped: bool) -> str:
    """A count as the page prints it: "999+" beyond the limit."""
    return f"{count}+" if capped else str(count)


def bounded_count(qs, shown: int, limit: int | None = None) -> tuple[int, bool]:
    """``capped_count``, without a query when the ``shown`` rows (fewer than ITEMS) are all
    there are."""
    if shown < ITEMS:
        return shown, False
    return capped_count(qs, limit)


def make_line(
    key, label, qs, item: Callable, *, url, tone="", day_label="", hint="", rows=None, limit=None
) -> Line:
    """A line counting ``qs`` (at most ``limit`` rows) and showing its first ITEMS rows (or
    ``rows``, when the page picks them itself)."""
    rows = list(qs[:ITEMS]) if rows is None else rows
    count, capped = bounded_count(qs, len(rows), limit)
    return Line(
        key=key,
        label=str(label),
        count=count,
        capped=capped,
        url=url,
        tone=tone if count else "",
        items=[item(row) for row in rows],
        day_label=str(day_label),
        hint=hint,
    )


# -- How far a day is ------------------------------------------------------------------------------


def overdue_by(day: datetime.date, today: datetime.date) -> str:
    days = (today - day).days
    return ngettext("%(days)d day overdue", "%(days)d days overdue", days) % {"days": days}


def due_in(day: datetime.date, today: datetime.date) -> str:
    days = (day - today).days
    if days < 0:
        return overdue_by(day, today)
    if days == 0:
        return str(_("due today"))
    return ngettext("in %(days)d day", "in %(days)d days", days) % {"days": days}


def waiting_for(day: datetime.date | None, today: datetime.date) -> str:
    if day is None:
        return ""
    days = max((today - day).days, 0)
    return ngettext("waiting %(days)d day", "waiting %(days)d days", days) % {"days": days}


def closeness_tone(day: datetime.date | None, today: datetime.date, *, warn_days=30) -> str:
    if day is None:
        return ""
    if day < today:
        return "bad"
    return "warn" if (day - today).days <= warn_days else ""


# -- What a row shows ---------------------------------------------------------------------------


def cert_detail(c: Certification) -> str:
    number = f" · {c.certificate_number}" if c.certificate_number else ""
    return f"{c.standard}{number}"


def cert_url(c: Certification) -> str | None:
    return link("workspace:certification", c.pk)


def audit_detail(a: Audit) -> str:
    return f"{a.get_kind_display()} · {a.certification.standard}"


def staff_audit_url(a: Audit, *, team=False) -> str | None:
    return (team and link("workspace:audit_team", a.pk)) or link("workspace:audit", a.pk)


def auditor_audit_url(audit_id: int) -> str | None:
    """Where an auditor starts, reports and acts on findings: the workspace's audit page (its
    team's steps by role), else their own audit page."""
    return link("workspace:audit", audit_id) or link("audits:audit_detail", audit_id)


def finding_detail(f: Finding) -> str:
    audit = f.audit
    clause = f" {f.clause}" if f.clause else ""
    kind = audit.get_kind_display()
    return f"{f.get_grade_display()}{clause} · {kind} · {audit.certification.standard}"
