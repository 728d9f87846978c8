"""Forms of the auditor pages and of the unavailability admin. Forms only collect input; the
use cases are the services in audits/services (audit_start, audit_submit_report,
finding_raise), whose refusals the views show as form errors."""

import datetime

from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.dates import local_today, not_after_today

from .models import (
    RECOMMENDATIONS_BY_KIND,
    AuditState,
    BookingKind,
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
    return user.get_full_name() or user.get_username()


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
