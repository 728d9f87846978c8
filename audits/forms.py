"""Forms of the audits app: the auditor pages, the unavailability admin, and the staff admin's
audit, team, reschedule, finding and transition forms. Forms only collect input; the use cases
are the services in audits/services (audit_start, audit_submit_report, finding_raise,
audit_plan, audit_set_team, ...), whose refusals the views and the admin show as form errors."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.admin_transitions import TransitionForm
from core.dates import local_today, not_after_today
from core.names import person_name

from . import access
from . import services as svc
from .models import (
    RECOMMENDATIONS_BY_KIND,
    Audit,
    AuditState,
    BookingKind,
    Finding,
    Grade,
    Recommendation,
    Unavailability,
)
from .selectors import audits_of_between, overlapping_bookings

MSG_ENDS_BEFORE_START = _("The last day is before the first day.")
MSG_OVERLAP = _(
    "%(person)s is already booked from %(start)s to %(end)s (%(what)s): the days overlap."
)
MSG_OVERLAP_AUDIT = _(
    "%(person)s is on the team of %(audit)s from %(start)s to %(end)s: the days overlap."
)
MSG_OVERLAP_RACE = _(
    "Someone booked %(person)s on some of these days at the same moment. Nothing was saved: "
    "check the bookings and try again."
)

UNAVAILABILITY_KINDS = [
    (BookingKind.LEAVE, BookingKind.LEAVE.label),
    (BookingKind.OTHER, BookingKind.OTHER.label),
]


def _date_field(label, **kwargs):
    """The day an action is recorded on: today or a past day, never a future one."""
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=local_today,
        validators=[not_after_today],
        **kwargs,
    )


class StartForm(forms.Form):
    on = _date_field(_("First day of the audit"))


class ReportForm(forms.Form):
    recommendation = forms.ChoiceField(label=_("Recommendation"))
    on = _date_field(_("Last day of the audit"))

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = RECOMMENDATIONS_BY_KIND[audit.kind]
        self.fields["recommendation"].choices = [
            (value, label) for value, label in Recommendation.choices if value in allowed
        ]


class FindingForm(forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    clause = forms.CharField(label=_("Clause"), max_length=30, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    on = _date_field(_("Raised on"))


def _name(user) -> str:
    return person_name(user)


def name_people(form, *names) -> None:
    """Let the user pickers ``names`` of ``form`` show people as they write their names
    (王建华, Anna Schmidt) instead of their user names."""
    for name in names:
        if name in form.fields:
            form.fields[name].label_from_instance = person_name


def unavailability_problems(user, start: datetime.date, end: datetime.date, *, exclude_pk=None):
    """Why ``user`` cannot be marked unavailable from ``start`` to ``end`` (empty: they can):
    the days overlap a booking or an audit the user is on (bookings may be missing for audits
    staffed by hand)."""
    problems = []
    for booking in overlapping_bookings(user.pk, start, end, exclude_pk=exclude_pk):
        what = (
            f"{booking.get_kind_display()}: {booking.audit}"
            if booking.audit_id
            else booking.get_kind_display() + (f": {booking.note}" if booking.note else "")
        )
        problems.append(
            MSG_OVERLAP
            % {
                "person": _name(user),
                "start": booking.starts_on.isoformat(),
                "end": booking.ends_on.isoformat(),
                "what": what,
            }
        )
    booked = {b.audit_id for b in overlapping_bookings(user.pk, start, end) if b.audit_id}
    for audit in audits_of_between(user, start, end):
        if audit.pk in booked or audit.state not in (AuditState.PLANNED, AuditState.IN_PROGRESS):
            continue
        problems.append(
            MSG_OVERLAP_AUDIT
            % {
                "person": _name(user),
                "audit": audit,
                "start": (audit.actual_start or audit.planned_start).isoformat(),
                "end": (audit.actual_end or audit.planned_end).isoformat(),
            }
        )
    return problems


class UnavailabilityForm(forms.ModelForm):
    """Leave or another booking of one auditor. Overlaps are refused here with a clear
    message; on PostgreSQL the exclusion constraint booking_no_overlap catches the race of two
    people saving at the same moment (see save_or_error)."""

    kind = forms.ChoiceField(label=_("booking type"), choices=UNAVAILABILITY_KINDS)

    class Meta:
        model = Unavailability
        fields = ("auditor", "kind", "starts_on", "ends_on", "note")
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, auditor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_auditor = auditor
        name_people(self, "auditor")
        if auditor is not None:
            # An auditor enters their own unavailability only.
            self.fields.pop("auditor", None)
            self.instance.auditor = auditor

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        auditor = self.fixed_auditor or data.get("auditor")
        if start and end and end < start:
            self.add_error("ends_on", MSG_ENDS_BEFORE_START)
        elif start and end and auditor:
            for problem in unavailability_problems(
                auditor, start, end, exclude_pk=self.instance.pk
            ):
                self.add_error(None, problem)
        return data

    def save_or_error(self):
        """Save, or add a form error and return None if the database refuses an overlap that
        appeared since validation (two people booking the same auditor at once)."""
        try:
            with transaction.atomic():
                return self.save()
        except IntegrityError:
            person = self.fixed_auditor or self.cleaned_data.get("auditor")
            self.add_error(None, MSG_OVERLAP_RACE % {"person": _name(person)})
            return None


# -- The admin's forms (each calls a service; refusals come back as form errors) ------------------
class ReportTransitionForm(TransitionForm):
    """The admin's "submit report" step: the recommendation, on the audit's last day."""

    recommendation = forms.ChoiceField(label=_("Recommendation"), choices=Recommendation.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].label = _("Last day of the audit")


class PlanForm(TransitionForm):
    """The admin's "accept plan" step of a finding."""

    plan = forms.CharField(
        label=_("Correction and corrective action plan"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AuditForm(forms.ModelForm):
    """A new audit in the admin: the planning rules and the team rules, as form errors
    (``AuditAdmin.save_model`` then plans it through ``audit_plan``)."""

    class Meta:
        model = Audit
        fields = (
            "certification",
            "kind",
            "planned_start",
            "planned_end",
            "team_leader",
            "members",
            "late_reason",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_people(self, "team_leader", "members")

    def clean(self):
        data = super().clean()
        if self.instance.pk or not (data.get("certification") and data.get("kind")):
            return data
        problems = svc.audit_plan_problems(data["certification"], data["kind"])
        for problem in problems:
            self.add_error("kind", problem)
        start, end = data.get("planned_start"), data.get("planned_end")
        if problems or not (start and end) or end < start:
            return data
        if data.get("team_leader") is None:
            self.add_error("team_leader", svc.audits.MSG_NO_LEADER)
            return data
        draft = Audit(
            certification=data["certification"],
            kind=data["kind"],
            planned_start=start,
            planned_end=end,
        )
        for problem in svc.audit_team_problems(
            audit=draft, team_leader=data["team_leader"], members=data.get("members") or ()
        ):
            self.add_error(None, problem)
        return data


# -- Programme and team forms (each calls a service; refusals come back as form errors) -----------
def _people():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .order_by("last_name", "first_name", "username")
    )


class TeamForm(forms.Form):
    team_leader = forms.ModelChoiceField(label=_("Team leader"), queryset=_people())
    members = forms.ModelMultipleChoiceField(
        label=_("Auditors"), queryset=_people(), required=False
    )
    technical_experts = forms.ModelMultipleChoiceField(
        label=_("Technical experts"), queryset=_people(), required=False
    )
    acknowledge_warnings = forms.BooleanField(
        label=_("I have read the warnings and keep this team"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("team_leader", "members", "technical_experts"):
            self.fields[name].queryset = _people()
        name_people(self, "team_leader", "members", "technical_experts")


class RescheduleForm(forms.Form):
    planned_start = forms.DateField(
        label=_("Planned start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_end = forms.DateField(
        label=_("Planned end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason for holding it after its deadline"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when the last day is after the audit's due date."),
    )
    confirm = forms.BooleanField(
        label=_("The client confirmed these dates"),
        required=False,
        help_text=_("An audit can start only once its dates are confirmed."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end is before the planned start."))
        return data


class FindingAdminForm(forms.ModelForm):
    """A new finding: only on an audit the user leads and that is open for findings (the
    service checks the same: audits.access)."""

    user = None  # set by FindingAdmin.get_form

    class Meta:
        model = Finding
        fields = ("audit", "grade", "clause", "description", "raised_on")
        widgets = {"raised_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "audit" in self.fields:
            self.fields["audit"].queryset = access.audits_user_may_raise_findings_on(self.user)
        if "raised_on" in self.fields:
            # The day the finding was raised in the audit: today or a past day of the audit.
            self.fields["raised_on"].initial = local_today
            self.fields["raised_on"].validators.append(not_after_today)

    def clean(self):
        data = super().clean()
        if not self.instance.pk and data.get("audit"):
            for problem in svc.finding_raise_problems(data["audit"], self.user):
                self.add_error("audit", problem)
        return data
