"""The home page's sections, one per role: which lines, in which order (the most urgent
first), what each row shows and where it leads. The lines' machinery (counting, dates in
words, links) is in home_lines.py; the rows come from the worklist selectors."""

import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audits.models import Audit, Finding
from audits.selectors import worklist as audit_work
from certificates.models import Certification
from certificates.selectors import worklist as cert_work
from certificates.selectors.decision import awaiting_decision, awaiting_decision_parts
from core.need_to_know import visible
from core.policy import policy

from .home_lines import (
    INTAKE_COUNT_LIMIT,
    ITEMS,
    Item,
    Section,
    audit_detail,
    auditor_audit_url,
    cert_detail,
    cert_url,
    closeness_tone,
    due_in,
    finding_detail,
    link,
    make_line,
    overdue_by,
    shown_count,
    staff_audit_url,
    summed_count,
    waiting_for,
)

# -- Staff ---------------------------------------------------------------------------------------


def staff_section(user, today: datetime.date) -> Section:
    certs = visible(Certification.objects.all(), user)
    audits = visible(Audit.objects.all(), user)
    findings = visible(Finding.objects.all(), user)
    suspension_days = policy("REMINDER_SUSPENSION_DEADLINE_DAYS")

    def surveillance_item(c):
        return Item(
            title=c.client.legal_name,
            detail=cert_detail(c),
            day=c.next_surveillance_due,
            status=overdue_by(c.next_surveillance_due, today),
            tone="bad",
            url=cert_url(c),
        )

    def suspension_item(c):
        return Item(
            title=c.client.legal_name,
            detail=cert_detail(c),
            day=c.suspension_deadline,
            status=due_in(c.suspension_deadline, today),
            tone=closeness_tone(c.suspension_deadline, today, warn_days=suspension_days),
            url=cert_url(c),
        )

    def finding_item(f):
        day = audit_work.passed_deadline(f, today)
        return Item(
            title=f.audit.certification.client.legal_name,
            detail=finding_detail(f),
            day=day,
            status=overdue_by(day, today) if day else "",
            tone="bad",
            url=staff_audit_url(f.audit),
        )

    def report_item(a):
        return Item(
            title=a.certification.client.legal_name,
            detail=audit_detail(a),
            day=a.actual_end,
            status=waiting_for(a.actual_end, today),
            tone="warn",
            url=staff_audit_url(a),
        )

    def planned_item(team):
        def item(a):
            return Item(
                title=a.certification.client.legal_name,
                detail=audit_detail(a),
                day=a.planned_start,
                status=due_in(a.planned_start, today),
                tone=closeness_tone(a.planned_start, today),
                url=staff_audit_url(a, team=team),
            )

        return item

    def review_item(c):
        app = c.application
        tags = [str(c.get_state_display())]
        if getattr(c, "missing_count", None):
            tags.append(
                ngettext(
                    "%(count)d document missing", "%(count)d documents missing", c.missing_count
                )
                % {"count": c.missing_count}
            )
        if getattr(c, "conditions_fail", False):
            tags.append(str(_("intake conditions not met")))
        return Item(
            title=c.client.legal_name,
            detail=str(c.standard),
            day=app.received_on,
            status=waiting_for(app.received_on, today),
            url=link("workspace:application", app.pk),
            tags=tags,
        )

    def due_item(c):
        return Item(
            title=c.client.legal_name,
            detail=cert_detail(c),
            day=c.next_surveillance_due,
            status=due_in(c.next_surveillance_due, today),
            tone=closeness_tone(c.next_surveillance_due, today),
            url=cert_url(c),
            tags=[str(_("audit planned"))] if c.planned else [],
        )

    def recert_item(c):
        return Item(
            title=c.client.legal_name,
            detail=cert_detail(c),
            day=c.expiry_date,
            status=due_in(c.expiry_date, today),
            tone=closeness_tone(c.expiry_date, today, warn_days=90),
            url=cert_url(c),
        )

    certs_url = "workspace:certifications"
    audits_url = "workspace:audits"
    soon = cert_work.surveillance_due_soon(certs, on=today)
    lines = [
        make_line(
            "surveillance_overdue",
            _("Surveillance overdue"),
            cert_work.surveillance_overdue(certs, on=today),
            surveillance_item,
            url=link(certs_url, query={"due": "overdue"}),
            tone="bad",
            day_label=_("Due"),
        ),
        make_line(
            "suspension_deadline",
            _("Suspensions: deadline passed or near"),
            cert_work.suspension_due(certs, on=today),
            suspension_item,
            url=link(certs_url, query={"state": "suspended", "suspension": "due"}),
            tone="bad",
            day_label=_("Deadline"),
        ),
        make_line(
            "findings_overdue",
            _("Finding deadlines passed"),
            audit_work.findings_overdue(findings, on=today),
            finding_item,
            # Every state: a finding's deadline can pass after its audit closed.
            url=link(audits_url, query={"findings": "overdue", "state": "all"}),
            tone="bad",
            day_label=_("Deadline"),
        ),
        make_line(
            "reports_to_close",
            _("Reports to close"),
            audit_work.reports_to_close(audits),
            report_item,
            url=link(audits_url, query={"state": "report_submitted"}),
            tone="warn",
            day_label=_("Reported"),
        ),
        make_line(
            "audits_without_team",
            _("Audits without a team"),
            audit_work.without_team(audits),
            planned_item(team=True),
            url=link(audits_url, query={"state": "planned", "team": "none"}),
            tone="warn",
            day_label=_("Starts"),
        ),
        make_line(
            "dates_unconfirmed",
            _("Audit dates to confirm"),
            audit_work.dates_unconfirmed(audits),
            planned_item(team=False),
            url=link(audits_url, query={"state": "planned", "dates": "unconfirmed"}),
            tone="warn",
            day_label=_("Starts"),
        ),
        make_line(
            "applications_to_review",
            _("Applications to review"),
            cert_work.to_review(certs),
            review_item,
            url=link("workspace:applications", query={"status": "to_review"}),
            day_label=_("Received"),
        ),
        make_line(
            "intake_incomplete",
            _("Intake incomplete"),
            cert_work.with_intake_facts(cert_work.intake_incomplete(certs)),
            review_item,
            # Each row judged on its application, documents and penalties: a short count.
            limit=INTAKE_COUNT_LIMIT,
            url=link(
                "workspace:applications", query={"status": "to_review", "intake": "incomplete"}
            ),
            tone="warn",
            day_label=_("Received"),
        ),
        make_line(
            "surveillance_due",
            _("Surveillance coming due"),
            soon,
            due_item,
            rows=cert_work.mark_surveillance_planned(list(soon[:ITEMS])),
            url=link(certs_url, query={"due": "soon"}),
            day_label=_("Due"),
            hint=ngettext(
                "within %(days)d day", "within %(days)d days", cert_work.surveillance_lead_days()
            )
            % {"days": cert_work.surveillance_lead_days()},
        ),
        make_line(
            "recertification_to_plan",
            _("Recertification to plan"),
            cert_work.recertification_to_plan(certs, on=today),
            recert_item,
            url=link(certs_url, query={"recert": "to_plan"}),
            day_label=_("Expires"),
        ),
    ]
    return Section("staff", str(_("CB staff")), lines)


# -- Decision makers ---------------------------------------------------------------------------


def decider_section(user, today: datetime.date) -> Section:
    certs = visible(Certification.objects.all(), user)
    closing_days = cert_work.restoration_closing_days()

    def decision_item(c):
        return Item(
            title=c.client.legal_name,
            detail=str(c.standard),
            day=c.state_since,
            status=waiting_for(c.state_since, today),
            tone="warn" if c.mine else "",
            url=link("workspace:decision", c.pk) or cert_url(c),
            tags=[str(_("assigned to you"))] if c.mine else [],
        )

    def suspend_item(c):
        return Item(
            title=c.client.legal_name,
            detail=cert_detail(c),
            day=c.next_surveillance_due,
            status=overdue_by(c.next_surveillance_due, today),
            tone="bad",
            url=link("workspace:certification_action", c.pk, "suspend") or cert_url(c),
        )

    def deadline_item(c):
        return Item(
            title=c.client.legal_name,
            detail=cert_detail(c),
            day=c.suspension_deadline,
            status=due_in(c.suspension_deadline, today),
            tone=closeness_tone(c.suspension_deadline, today),
            url=cert_url(c),
        )

    def restore_item(c):
        end = c.restoration_window_end()
        days = (end - today).days
        return Item(
            title=c.client.legal_name,
            detail=cert_detail(c),
            day=end,
            status=ngettext("closes in %(days)d day", "closes in %(days)d days", days)
            % {"days": days}
            if days
            else str(_("closes today")),
            tone="bad" if days <= closing_days else "",
            url=cert_url(c),
            tags=[str(_("expired on %(day)s") % {"day": c.expiry_date.isoformat()})],
        )

    # The decisions list's definition and order (a recertification file waiting too; mine
    # first, then the longest waiting), so the count and the list it links to agree. Its two
    # sets are counted apart: each is an index walk, their OR is a scan of every file.
    parts = awaiting_decision_parts(certs)
    rows = list(awaiting_decision(user)[:ITEMS])
    for row in rows:
        row.mine = row.mine == 0  # decision_item tags mine
    lines = [
        make_line(
            "awaiting_decision",
            _("Files awaiting decision"),
            parts[0],
            decision_item,
            rows=rows,
            url=link("workspace:decisions"),
            tone="warn",
            day_label=_("Submitted"),
        )
    ]
    if len(rows) == ITEMS:
        lines[0].count, lines[0].capped = summed_count(parts)
    mine_count, mine_capped = (
        summed_count([cert_work.assigned_to(part, user) for part in parts])
        if lines[0].count
        else (0, False)
    )
    if mine_count:
        lines[0].hint = ngettext(
            "%(count)s assigned to you", "%(count)s assigned to you", mine_count
        ) % {"count": shown_count(mine_count, mine_capped)}
    if policy("SURVEILLANCE_OVERDUE_ACTION") == "propose":
        lines.append(
            make_line(
                "suspension_to_consider",
                _("Suspension to consider: surveillance not held"),
                cert_work.surveillance_overdue(certs, on=today),
                suspend_item,
                url=link("workspace:certifications", query={"due": "overdue"}),
                tone="bad",
                day_label=_("Surveillance due"),
            )
        )
    lines += [
        make_line(
            "suspension_passed",
            _("Suspension deadline passed: withdraw or reduce the scope"),
            cert_work.suspension_passed(certs, on=today),
            deadline_item,
            url=link(
                "workspace:certifications", query={"state": "suspended", "suspension": "passed"}
            ),
            tone="bad",
            day_label=_("Deadline"),
        ),
        make_line(
            "suspension_near",
            _("Suspensions reaching their deadline"),
            cert_work.suspension_near(certs, on=today),
            deadline_item,
            url=link(
                "workspace:certifications", query={"state": "suspended", "suspension": "near"}
            ),
            tone="warn",
            day_label=_("Deadline"),
        ),
        make_line(
            "restoration_closing",
            _("Restoration windows closing"),
            cert_work.restorable(certs, on=today),
            restore_item,
            url=link("workspace:certifications", query={"restorable": "1"}),
            tone="warn",
            day_label=_("Window closes"),
        ),
    ]
    return Section("decider", str(_("Decision maker")), lines)


# -- Auditors ----------------------------------------------------------------------------------


def auditor_section(user, today: datetime.date) -> Section:
    def audit_item(a):
        role = _("Team leader") if a.team_leader_id == user.pk else _("Team member")
        return Item(
            title=a.certification.client.legal_name,
            detail=audit_detail(a),
            day=a.planned_start,
            status=str(a.get_state_display())
            if a.state != "planned"
            else due_in(a.planned_start, today),
            tone="warn" if a.planned_start <= today else "",
            url=auditor_audit_url(a.pk),
            tags=[str(role)],
        )

    def report_item(a):
        return Item(
            title=a.certification.client.legal_name,
            detail=audit_detail(a),
            day=a.planned_end,
            status=due_in(a.planned_end, today),
            tone=closeness_tone(a.planned_end, today, warn_days=0),
            url=auditor_audit_url(a.pk),
        )

    def finding_item(due_field):
        def item(f):
            day = getattr(f, due_field)
            return Item(
                title=f.audit.certification.client.legal_name,
                detail=finding_detail(f),
                day=day,
                status=due_in(day, today) if day else "",
                tone=closeness_tone(day, today, warn_days=7),
                url=auditor_audit_url(f.audit_id),
            )

        return item

    def mine(*states, team="yes", **more):
        """The audit list of ``user``'s audits in ``states`` (with the ``more`` filters of the
        line: the same rows it counts), else the auditor's own page."""
        query = {"mine": team, "state": list(states), **more}
        return link("workspace:audits", query=query) or link("audits:my_audits")

    lines = [
        make_line(
            "my_next_audits",
            _("My next audits"),
            audit_work.my_next_audits(user),
            audit_item,
            url=mine("planned", "in_progress"),
            day_label=_("Starts"),
        ),
        make_line(
            "reports_to_submit",
            _("Reports to submit"),
            audit_work.reports_to_submit(user),
            report_item,
            url=mine("in_progress", team="lead"),
            tone="warn",
            day_label=_("Last day"),
        ),
        make_line(
            "plans_to_accept",
            _("Plans to accept"),
            audit_work.plans_to_accept(user),
            finding_item("plan_due"),
            url=mine("all", findings="plans"),
            tone="warn",
            day_label=_("Plan due"),
        ),
        make_line(
            "corrections_to_record",
            _("Corrections to record"),
            audit_work.corrections_to_record(user),
            finding_item("correction_due"),
            url=mine("all", findings="corrections"),
            day_label=_("Correction due"),
        ),
        make_line(
            "corrections_to_verify",
            _("Corrections to verify"),
            audit_work.corrections_to_verify(user),
            finding_item("verification_due"),
            url=mine("all", findings="verify"),
            tone="warn",
            day_label=_("Verification due"),
        ),
    ]
    return Section("auditor", str(_("My audits")), lines)


def sections_for(user, roles, today: datetime.date) -> list[Section]:
    """The sections of the roles ``user`` holds: staff, decision maker, auditor."""
    builders = [
        ("staff", staff_section),
        ("decider", decider_section),
        ("auditor", auditor_section),
    ]
    return [build(user, today) for role, build in builders if role in roles]
