"""The filter toolbars of the workspace's lists (FIND): query-string forms that never refuse.

A list is opened from a bookmark, a home-page link or a hand-edited address: an unknown value
(``?state=nonsense``, ``?page=abc``) is ignored, not an error page. So every field here keeps
what it understands and drops the rest (``filters()``), and the page shows what it did use.
The parameter names are the ones announced to the home page's worklists (/tmp/plan/NOTES.md).
"""

import calendar
import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from audits.models import AuditKind, AuditState
from certificates.models import State
from certificates.selectors import lists as cert_lists
from clients.models import Standard

# ``due=``: a window of days around today.
OVERDUE, THIS_MONTH, NEXT_90, SOON = "overdue", "month", "90d", "soon"
DUE_CHOICES = [
    ("", _("Any time")),
    (OVERDUE, _("Overdue")),
    (THIS_MONTH, _("This month")),
    (NEXT_90, _("Next 90 days")),
]
YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


def due_between(due: str, today: datetime.date):
    """(from, to) of a ``due`` value (None: not filtered): overdue = before today; this month
    = today to the month's last day; next 90 days = today to today + 90."""
    if due == OVERDUE:
        return (None, today - datetime.timedelta(days=1))
    if due == THIS_MONTH:
        last = calendar.monthrange(today.year, today.month)[1]
        return (today, today.replace(day=last))
    if due == NEXT_90:
        return (today, today + datetime.timedelta(days=90))
    return None


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class LenientChoiceField(forms.ChoiceField):
    """A choice that falls back to "" (no filter) for a value it does not know."""

    def to_python(self, value):
        value = super().to_python(value)
        return value if self.valid_value(value) else ""

    def validate(self, value):
        pass


class LenientMultipleChoiceField(forms.MultipleChoiceField):
    """Several choices (``?state=a&state=b``), keeping the known ones."""

    def to_python(self, value):
        return [v for v in super().to_python(value) if self.valid_value(v)]

    def validate(self, value):
        pass


class StandardField(forms.ModelChoiceField):
    """A standard by its pk; an unknown or malformed pk means no filter."""

    def __init__(self, **kwargs):
        super().__init__(
            queryset=Standard.objects.order_by("code", "-edition"),
            required=False,
            empty_label=_("All standards"),
            **kwargs,
        )

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            return None


class ListFilters(forms.Form):
    """Common to every list: the text filter. ``filters()`` returns the cleaned values, each
    field that could not be read at its empty value."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    # Fields shown folded under "More filters" in the toolbar.
    more_fields: tuple[str, ...] = ()

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)

    def filters(self) -> dict:
        self.is_valid()
        values = {}
        for name, field in self.fields.items():
            if name in self.cleaned_data:
                values[name] = self.cleaned_data[name]
            elif isinstance(field, forms.MultipleChoiceField):
                values[name] = []
            elif isinstance(field, forms.ModelChoiceField):
                values[name] = None
            else:
                values[name] = ""
        values["q"] = (values.get("q") or "").strip()
        return values

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name not in ("sort",))


class ClientFilters(ListFilters):
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    sort = LenientChoiceField(
        label=_("Order"),
        required=False,
        choices=[("", _("By name")), ("newest", _("Newest first"))],
    )


class ApplicationFilters(ListFilters):
    status = LenientChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Open")),
            (cert_lists.ACCEPTED, _("Accepted")),
            (cert_lists.REJECTED, _("Rejected")),
            (cert_lists.ALL, _("All")),
        ],
    )
    intake = LenientChoiceField(
        label=_("Intake"),
        required=False,
        choices=[
            ("", _("Any")),
            (cert_lists.COMPLETE, _("Complete")),
            (cert_lists.INCOMPLETE, _("Incomplete")),
        ],
    )
    standard = StandardField(label=_("Standard"))

    def filters(self) -> dict:
        values = super().filters()
        # "open" is the default; ?status=open (and the home page's ?status=to_review) say so.
        if self.data.get("status") in (cert_lists.OPEN, "to_review"):
            values["status"] = cert_lists.OPEN
        values["status"] = values["status"] or cert_lists.OPEN
        return values


class CertificationFilters(ListFilters):
    more_fields = ("recert", "suspension", "restorable", "decider")

    state = LenientMultipleChoiceField(
        label=_("State"),
        required=False,
        choices=State.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    standard = StandardField(label=_("Standard"))
    date = LenientChoiceField(
        label=_("Date"),
        required=False,
        choices=[
            ("", _("Next surveillance")),
            (cert_lists.EXPIRY, _("Expiry")),
            (cert_lists.SUSPENSION, _("Suspension deadline")),
            (cert_lists.RESTORATION, _("End of the restoration window")),
        ],
    )
    due = LenientChoiceField(
        label=_("Due"),
        required=False,
        choices=[*DUE_CHOICES, (SOON, _("Surveillance coming due"))],
    )
    # The home page's worklists (certificates/selectors/worklist.py), by the names it links with.
    recert = LenientChoiceField(
        label=_("Recertification"),
        required=False,
        choices=[("", _("Any")), ("to_plan", _("To plan (no recertification audit yet)"))],
    )
    suspension = LenientChoiceField(
        label=_("Suspension"),
        required=False,
        choices=[
            ("", _("Any")),
            ("passed", _("Deadline passed")),
            ("near", _("Deadline near")),
            ("due", _("Deadline passed or near")),
        ],
    )
    restorable = LenientChoiceField(
        label=_("Restoration"),
        required=False,
        choices=[("", _("Any")), ("1", _("Expired, still restorable"))],
    )
    decider = LenientChoiceField(
        label=_("Decision maker"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("Me"))],
    )
    sort = LenientChoiceField(
        label=_("Order"),
        required=False,
        choices=[
            ("", _("Most urgent first")),
            (cert_lists.NEWEST, _("Newest first")),
            (cert_lists.BY_NUMBER, _("By certificate number")),
        ],
    )

    def filters(self) -> dict:
        values = super().filters()
        if self.data.get("date") == cert_lists.SURVEILLANCE:
            values["date"] = cert_lists.SURVEILLANCE
        values["date"] = values["date"] or cert_lists.SURVEILLANCE
        return values

    def worklists(self, values) -> list[str]:
        """The home page's worklists these values name (cert_lists.WORKLISTS): an overdue
        surveillance is one not held either (as the daily scan reads it), not just a date."""
        names = []
        if values["due"] == OVERDUE and values["date"] == cert_lists.SURVEILLANCE:
            names.append("surveillance_overdue")
        if values["due"] == SOON:
            names.append("surveillance_soon")
        if values["recert"] == "to_plan":
            names.append("recertification_to_plan")
        if values["suspension"]:
            names.append(f"suspension_{values['suspension']}")
        if values["restorable"]:
            names.append("restorable")
        return names

    def between(self, values, today):
        """The date window of ``due`` when it is a plain window (not a worklist)."""
        if values["due"] == SOON or "surveillance_overdue" in self.worklists(values):
            return None
        return due_between(values["due"], today)


# ``findings=``: the home page's finding lines (audits.selectors.worklist), as audits.
FINDINGS_OVERDUE, FINDINGS_PLANS, FINDINGS_CORRECTIONS, FINDINGS_VERIFY = (
    "overdue",
    "plans",
    "corrections",
    "verify",
)

# ``state=open`` (the default) and ``state=all`` besides the audit states.
OPEN_STATES, ALL_STATES = "open", "all"


class AuditFilters(ListFilters):
    more_fields = ("standard", "late", "findings", "mine", "date")

    state = LenientMultipleChoiceField(
        label=_("State"),
        required=False,
        choices=[
            (OPEN_STATES, _("Open (not closed or cancelled)")),
            (ALL_STATES, _("All")),
            *AuditState.choices,
        ],
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    kind = LenientMultipleChoiceField(
        label=_("Kind"),
        required=False,
        choices=AuditKind.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    standard = StandardField(label=_("Standard"))
    team = LenientChoiceField(label=_("Team leader assigned"), required=False, choices=YES_NO)
    confirmed = LenientChoiceField(label=_("Dates confirmed"), required=False, choices=YES_NO)
    late = LenientChoiceField(
        label=_("Past the deadline"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Planned after its deadline"))],
    )
    # The home page's "Finding deadlines passed" (audits.selectors.worklist).
    findings = LenientChoiceField(
        label=_("Findings"),
        required=False,
        choices=[
            ("", _("Any")),
            (FINDINGS_OVERDUE, _("A finding's deadline passed")),
            (FINDINGS_PLANS, _("Plans to accept")),
            (FINDINGS_CORRECTIONS, _("Corrections to record")),
            (FINDINGS_VERIFY, _("Corrections to verify")),
        ],
    )
    mine = LenientChoiceField(
        label=_("Team"),
        required=False,
        choices=[("", _("Anyone's")), ("yes", _("I am on the team")), ("lead", _("I lead it"))],
    )
    date = LenientChoiceField(
        label=_("Date"),
        required=False,
        choices=[("", _("Planned start")), ("due_by", _("Deadline (due by)"))],
    )
    due = LenientChoiceField(label=_("Due"), required=False, choices=DUE_CHOICES)

    # The names the home page links with (audits/selectors/worklist.py) mean the same.
    ALIASES = {("team", "none"): ("team", "no"), ("dates", "unconfirmed"): ("confirmed", "no")}

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = data.copy()
            for (name, value), (alias, meaning) in self.ALIASES.items():
                if data.get(name) == value:
                    data[alias] = meaning
            if data.get("auditor") == "me" and not data.get("mine"):
                data["mine"] = "yes"
        super().__init__(data, **kwargs)

    def audit_states(self, values) -> tuple:
        """The audit states the ``state`` values name: open when none, every one for all."""
        chosen = values.get("state") or [OPEN_STATES]
        if ALL_STATES in chosen:
            return ()
        states = set()
        for value in chosen:
            if value == OPEN_STATES:
                states.update(
                    [AuditState.PLANNED, AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED]
                )
            else:
                states.add(AuditState(value))
        return tuple(sorted(states))
