"""The four lists (FIND): clients, applications, certifications, audits.

Each reads through ``visible`` (an auditor sees only the rows of the audits they are on),
filters from its toolbar (workspace/forms/find.py: unknown values are ignored, never an error
page), shows the most urgent first, pages without a count (infra.paging.window) and downloads
the same filtered list as CSV or XLSX (``?format=csv|xlsx``, infra.exports). With htmx, a
changed filter or a turned page swaps only the table (the ``find/_<list>_table.html``
partial); without JavaScript the toolbar is a plain GET form.
"""

from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from audits.models import Audit
from audits.selectors import worklist as audit_work
from audits.selectors.lists import audit_list, is_overdue
from certificates.models import Certification
from certificates.selectors import lists as cert_lists
from certificates.selectors.search import certification_by_number
from clients.models import Application, Client
from clients.selectors.lists import client_list
from clients.selectors.search import matching_client_ids
from core.dates import local_today
from core.names import person_name
from core.need_to_know import visible
from infra.exports import FORMATS, MAX_ROWS, Column, export_response
from infra.paging import window

from ..access import workspace_page
from ..forms.find import (
    FINDINGS_CORRECTIONS,
    FINDINGS_OVERDUE,
    FINDINGS_PLANS,
    FINDINGS_VERIFY,
    ApplicationFilters,
    AuditFilters,
    CertificationFilters,
    ClientFilters,
    due_between,
    yes_no,
)
from ..http import query_int

PER_PAGE = 50


def _client_filter(request) -> int | None:
    """``?client=<pk>``: a whole number within the database's range, else no filter."""
    return query_int(request, "client")


def _page(request, *, name, rows, form, columns, filename, context=None, decorate=None):
    """The list page, its htmx partial, or its export (``?format=``)."""
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        # Streamed in chunks (prefetches per chunk), at most the exports' row cap.
        rows = rows[:MAX_ROWS].iterator(chunk_size=2000)
        return export_response(
            fmt, filename=f"{filename}-{local_today().isoformat()}", columns=columns, rows=rows
        )
    page = window(rows, request.GET.get("page"), per_page=PER_PAGE)
    if decorate is not None:
        for row in page.rows:
            decorate(row)
    ctx = {"form": form, "page": page, "list_name": name, **(context or {})}
    if request.htmx and request.htmx.target == "list-table":
        return render(request, f"workspace/find/_{name}_table.html", ctx)
    return render(request, f"workspace/find/{name}.html", ctx)


def _text(value) -> str:
    return "" if value is None else str(value)


# -- Clients ----------------------------------------------------------------------------------


@workspace_page()
def clients(request):
    form = ClientFilters(request.GET)
    f = form.filters()
    rows = client_list(
        visible(Client.objects.all(), request.user),
        user=request.user,
        text=f["q"],
        city=f["city"],
        sort=f["sort"],
    )
    columns = [
        Column(_("legal name"), lambda c: c.legal_name),
        Column(_("English name"), lambda c: c.english_name),
        Column(_("registration id"), lambda c: c.registration_id),
        Column(_("city"), lambda c: c.city),
        Column(_("country"), lambda c: str(c.country)),
        Column(
            _("certifications"),
            lambda c: "; ".join(
                f"{x.standard} {x.get_state_display()}" for x in c.certifications.all()
            ),
        ),
    ]
    return _page(
        request,
        name="clients",
        rows=rows,
        form=form,
        columns=columns,
        filename="clients",
        context={"title": _("Clients")},
    )


# -- Applications -----------------------------------------------------------------------------


@workspace_page()
def applications(request):
    form = ApplicationFilters(request.GET)
    f = form.filters()
    rows = cert_lists.application_list(
        visible(Application.objects.all(), request.user),
        status=f["status"],
        intake=f["intake"],
        standard=f["standard"],
        client=_client_filter(request),
        clients=_clients_of_text(request, f["q"]),
        user=request.user,
    )

    def status(a):
        if not hasattr(a, "status"):
            a.status = cert_lists.application_status(a)
        return a.status

    def intake(a):
        s = status(a)
        if s.intake_complete is None:
            return ""
        return str(_("complete")) if s.intake_complete else s.missing_total

    columns = [
        Column(_("received on"), lambda a: a.received_on),
        Column(_("client"), lambda a: a.client.legal_name),
        Column(_("standards"), lambda a: ", ".join(str(s) for s in a.standards.all())),
        Column(_("status"), lambda a: status(a).label),
        Column(_("intake problems"), intake),
        Column(_("scope"), lambda a: a.scope),
    ]
    return _page(
        request,
        name="applications",
        rows=rows,
        form=form,
        columns=columns,
        filename="applications",
        decorate=status,
        context={"title": _("Applications")},
    )


# -- Certifications ---------------------------------------------------------------------------


def _clients_of_text(request, text):
    """The text filter as the ids of the clients it means (None: no text)."""
    if not text:
        return None
    return matching_client_ids(visible(Client.objects.all(), request.user), text)


@workspace_page()
def certifications(request):
    today = local_today()
    form = CertificationFilters(request.GET)
    f = form.filters()
    visible_certs = visible(Certification.objects.all(), request.user)
    number_hit = certification_by_number(visible_certs, f["q"]) if f["q"] else None
    rows = cert_lists.certification_list(
        visible_certs,
        states=f["state"],
        standard=f["standard"],
        client=_client_filter(request),
        decision_maker=request.user if f["decider"] == "me" else None,
        date=f["date"],
        between=form.between(f, today),
        clients=_clients_of_text(request, f["q"]),
        number_hit=number_hit,
        worklists=form.worklists(f),
        today=today,
        sort=f["sort"] or cert_lists.BY_DATE,
    )

    def next_date(c):
        if not hasattr(c, "next"):
            c.next = cert_lists.next_date(c, today=today)
        return c.next

    columns = [
        Column(_("certificate number"), lambda c: c.certificate_number),
        Column(_("client"), lambda c: c.client.legal_name),
        Column(_("standard"), lambda c: str(c.standard)),
        Column(_("state"), lambda c: c.get_state_display()),
        Column(_("next"), lambda c: next_date(c).label if next_date(c) else ""),
        Column(_("date"), lambda c: next_date(c).day if next_date(c) else None),
        Column(_("expiry date"), lambda c: c.expiry_date),
        Column(_("designated decision maker"), lambda c: person_name(c.decision_maker)),
    ]
    return _page(
        request,
        name="certifications",
        rows=rows,
        form=form,
        columns=columns,
        filename="certifications",
        decorate=next_date,
        context={"title": _("Certifications")},
    )


# -- Audits -----------------------------------------------------------------------------------


def _findings_worklist(name, user, today):
    """The findings of the home page's line ``name`` (``?findings=``), else None."""
    if name == FINDINGS_OVERDUE:
        return audit_work.findings_overdue(on=today)
    lines = {
        FINDINGS_PLANS: audit_work.plans_to_accept,
        FINDINGS_CORRECTIONS: audit_work.corrections_to_record,
        FINDINGS_VERIFY: audit_work.corrections_to_verify,
    }
    return lines[name](user) if name in lines else None


@workspace_page()
def audits(request):
    today = local_today()
    form = AuditFilters(request.GET)
    f = form.filters()
    certifications_of_text = None
    if f["q"]:
        certs = visible(Certification.objects.all(), request.user)
        hit = certification_by_number(certs, f["q"])
        text = certs.filter(client__in=_clients_of_text(request, f["q"]))
        if hit is not None:
            text = text | certs.filter(pk=hit.pk)
        certifications_of_text = text.order_by().values("pk")
    rows = audit_list(
        visible(Audit.objects.all(), request.user),
        states=form.audit_states(f),
        kinds=f["kind"],
        team=yes_no(f["team"]),
        confirmed=yes_no(f["confirmed"]),
        late=f["late"] == "yes",
        member=request.user if f["mine"] in ("yes", "lead") else None,
        date=f["date"] or "start",
        between=due_between(f["due"], today),
        standard=f["standard"],
        client=_client_filter(request),
        certifications=certifications_of_text,
        findings=_findings_worklist(f["findings"], request.user, today),
        leader=request.user if f["mine"] == "lead" else None,
    )

    def decorate(a):
        a.overdue = is_overdue(a, today=today)

    columns = [
        Column(_("kind"), lambda a: a.get_kind_display()),
        Column(_("state"), lambda a: a.get_state_display()),
        Column(_("client"), lambda a: a.certification.client.legal_name),
        Column(_("standard"), lambda a: str(a.certification.standard)),
        Column(_("planned start"), lambda a: a.planned_start),
        Column(_("planned end"), lambda a: a.planned_end),
        Column(_("dates confirmed"), lambda a: a.dates_confirmed),
        Column(_("due by"), lambda a: a.due_by),
        Column(_("team leader"), lambda a: person_name(a.team_leader)),
        Column(
            _("team members"),
            lambda a: ", ".join(person_name(m) for m in a.members.all()),
        ),
    ]
    return _page(
        request,
        name="audits",
        rows=rows,
        form=form,
        columns=columns,
        filename="audits",
        decorate=decorate,
        context={"title": _("Audits")},
    )


urlpatterns = [
    path("clients/", clients, name="clients"),
    path("applications/", applications, name="applications"),
    path("certifications/", certifications, name="certifications"),
    path("audits/", audits, name="audits"),
]
