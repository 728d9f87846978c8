"""My reminders (workspace:reminders): the deadlines the daily scans addressed to me, the most
urgent first (overdue, then the soonest due), each with what it asks and a link to where it
gets done; acknowledge one or several (reminders.services.reminders_acknowledge); pages
without a count (infra.paging.window); CSV / XLSX of the same filter.

Only the signed-in person's own reminders are read or acknowledged: another's id in the form
is ignored (nothing changes)."""

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from certificates.certsearch import MANAGE_PERMISSION as CERTSEARCH_PERMISSION
from core.dates import local_today
from core.names import person_name
from infra.exports import FORMATS, Column, export_response
from infra.paging import window
from reminders import selectors as reads
from reminders.digests import KIND_TRANSITIONS, admin_path
from reminders.models import Reminder, ReminderKind
from reminders.services import reminders_acknowledge

from ..access import workspace_page
from ..http import parse_int
from .home_lines import closeness_tone, due_in, link

PER_PAGE = 50
EXPORT_CHUNK = 500


@dataclass
class Entry:
    """A reminder as the page shows it."""

    reminder: Reminder
    subject: str
    url: str | None
    sentence: str
    status: str
    tone: str

    @property
    def pk(self):
        return self.reminder.pk


def subject_url(reminder: Reminder, user) -> str | None:
    """Where the reminder's work gets done in the workspace: the certification (or the step a
    reminder asks for, e.g. suspend), the audit (a finding's audit), the CertSearch page for
    the month's upload (to those who may record it); else the admin, to those who may change
    the record."""
    model = reminder.content_type.model
    if model == "certification":
        step = KIND_TRANSITIONS.get(reminder.kind)
        if step:
            url = link("workspace:certification_action", reminder.object_id, step)
            if url:
                return url
        return link("workspace:certification", reminder.object_id)
    if model == "audit":
        return link("workspace:audit", reminder.object_id) or link(
            "audits:audit_detail", reminder.object_id
        )
    if model == "finding":
        subject = reminder.subject
        return link("workspace:audit", subject.audit_id) if subject is not None else None
    if model == "certsearchupload" and user.has_perm(CERTSEARCH_PERMISSION):
        url = link("workspace:certsearch")
        if url:
            return f"{url}#month-{reminder.object_id}"
    app_label = reminder.content_type.app_label
    if user.has_perm(f"{app_label}.change_{model}"):
        return admin_path(reminder)
    return None


def entries(reminders, user, today) -> list[Entry]:
    reads.with_subjects(reminders)
    return [
        Entry(
            reminder=r,
            subject=reads.subject_text(r),
            url=subject_url(r, user),
            sentence=reads.sentence(r),
            status=due_in(r.due_date, today),
            tone=closeness_tone(r.due_date, today, warn_days=7),
        )
        for r in reminders
    ]


def _chunks(rows, size=EXPORT_CHUNK):
    """The rows of ``rows`` with their subjects, loaded ``size`` at a time."""
    batch = []
    for row in rows.iterator(chunk_size=size):
        batch.append(row)
        if len(batch) == size:
            yield from reads.with_subjects(batch)
            batch = []
    yield from reads.with_subjects(batch)


def export_columns(today):
    return [
        Column(_("Kind"), lambda r: r.get_kind_display()),
        Column(_("Subject"), reads.subject_text),
        Column(_("What to do"), reads.sentence),
        Column(_("Due date"), lambda r: r.due_date),
        Column(_("Status"), lambda r: due_in(r.due_date, today)),
        Column(_("Acknowledged by"), lambda r: person_name(r.acknowledged_by)),
        Column(_("Acknowledged at"), lambda r: r.acknowledged_at),
    ]


def _acknowledge(request):
    """Acknowledge the reminder of the button pressed (``one``), else those ticked (``ids``):
    only the user's own."""
    chosen = [request.POST["one"]] if request.POST.get("one") else request.POST.getlist("ids")
    ids = [n for n in map(parse_int, chosen) if n is not None]
    own = Reminder.objects.filter(recipient_id=request.user.pk, pk__in=ids)
    count = reminders_acknowledge(reminders=own, by=request.user) if ids else 0
    return ids, count


@workspace_page()
@require_http_methods(["GET", "POST"])
def reminders(request):
    today = local_today()
    user = request.user
    show = request.GET.get("show")
    show = show if show in reads.SHOWS else reads.SHOW_OPEN
    kind = request.GET.get("kind", "")
    kind = kind if kind in ReminderKind.values else ""
    if request.method == "POST":
        ids, count = _acknowledge(request)
        if getattr(request, "htmx", False) and request.POST.get("one"):
            # The row just acknowledged, in place (gone from the list of open reminders).
            rows = list(reads.reminders_of(user, show=reads.SHOW_ALL).filter(pk__in=ids))
            return render(
                request,
                "workspace/reminders/_row.html",
                {"entry": (entries(rows, user, today) or [None])[0], "show": show},
            )
        if count:
            messages.success(
                request,
                ngettext(
                    "%(count)d reminder acknowledged.", "%(count)d reminders acknowledged.", count
                )
                % {"count": count},
            )
        else:
            messages.warning(request, _("No reminder was acknowledged: choose one first."))
        return redirect(request.get_full_path())
    rows = reads.reminders_of(user, show=show, kind=kind)
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        return export_response(
            fmt,
            filename=f"reminders-{today.isoformat()}",
            columns=export_columns(today),
            rows=_chunks(rows),
        )
    page = window(rows, request.GET.get("page"), per_page=PER_PAGE)
    context = {
        "page": page,
        "entries": entries(page.rows, user, today),
        "show": show,
        "shows": [
            (reads.SHOW_OPEN, pgettext_lazy("reminders", "Open")),
            (reads.SHOW_ACKNOWLEDGED, _("Acknowledged")),
            (reads.SHOW_ALL, _("All")),
        ],
        "kind": kind,
        "kinds": ReminderKind.choices,
        "today": today,
    }
    template = "workspace/reminders/list.html"
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "reminder-table":
        template = "workspace/reminders/_table.html"
    return render(request, template, context)


urlpatterns = [path("reminders/", reminders, name="reminders")]
