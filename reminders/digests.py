"""The daily digest: one plain-text mail per recipient listing their unsent reminders, grouped by
kind, each with its sentence (KIND_LINES) and a link to where its work gets done in the
workspace (``page_url``), in the recipient's language. reminders/sending.py mails them;
``manage.py send_reminders --dry-run`` prints them (``pending_digests``).
"""

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import prefetch_related_objects
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import user_language
from core.names import person_name
from core.policy import policy
from reminders.models import Reminder, ReminderKind
from reminders.registry import subject_label, subject_querysets

# One sentence per kind, each with the due date as %(due)s (a test checks every kind has one).
KIND_LINES = {
    ReminderKind.SURVEILLANCE_DUE: gettext_lazy(
        "Surveillance due by %(due)s: plan it and confirm the dates with the client."
    ),
    ReminderKind.SURVEILLANCE_OVERDUE: gettext_lazy(
        "Surveillance was due by %(due)s and has not been held: hold it now; the decision "
        "makers have been asked to consider suspending the certification."
    ),
    ReminderKind.SUSPENSION_PROPOSED: gettext_lazy(
        "Surveillance was due by %(due)s and has not been held: suspend the certification "
        "(ISO/IEC 17021-1 9.6.5), or plan the audit and record why it is not suspended."
    ),
    ReminderKind.SUSPENDED_AUTOMATICALLY: gettext_lazy(
        "Surveillance was due by %(due)s and was not held: the system suspended the "
        "certification under the body's policy. Restore it once the surveillance is held."
    ),
    ReminderKind.RECERTIFICATION_PLANNING: gettext_lazy(
        "The certificate expires on %(due)s: plan the recertification audit now, so that "
        "the decision is taken before expiry."
    ),
    ReminderKind.CERTIFICATE_EXPIRING: gettext_lazy(
        "The certificate expires on %(due)s: without a recertification decision by then it expires."
    ),
    ReminderKind.CERTIFICATE_EXPIRED: gettext_lazy(
        "The certificate expired on %(due)s without a recertification decision: it can "
        "still be restored within the restoration window."
    ),
    ReminderKind.RESTORATION_WINDOW_CLOSING: gettext_lazy(
        "The restoration window closes on %(due)s: after that only a new stage 2 leads "
        "back to certification."
    ),
    ReminderKind.SUSPENSION_DEADLINE_APPROACHING: gettext_lazy(
        "The suspension deadline is %(due)s: restore the certification by then, or it "
        "must be withdrawn or its scope reduced."
    ),
    ReminderKind.SUSPENSION_DEADLINE_REACHED: gettext_lazy(
        "The suspension deadline %(due)s has passed: the decision makers must withdraw "
        "the certification or reduce its scope."
    ),
    ReminderKind.FINDING_PLAN_DUE: gettext_lazy(
        "The client's correction and corrective action plan is due by %(due)s."
    ),
    ReminderKind.FINDING_PLAN_OVERDUE: gettext_lazy(
        "The client's plan was due by %(due)s and has not been accepted: no certification "
        "decision can be taken until it is."
    ),
    ReminderKind.FINDING_CORRECTION_DUE: gettext_lazy(
        "The client must correct this major nonconformity by %(due)s."
    ),
    ReminderKind.FINDING_CORRECTION_OVERDUE: gettext_lazy(
        "Correction of this major was due by %(due)s and has not been reported: chase the "
        "client, the verification and the certification decision wait for it."
    ),
    ReminderKind.FINDING_VERIFICATION_DUE: gettext_lazy(
        "Correction and corrective action of this major must be verified by %(due)s."
    ),
    ReminderKind.FINDING_VERIFICATION_OVERDUE: gettext_lazy(
        "Verification of this major was due by %(due)s and has not been done: no "
        "certification decision can be taken until it is."
    ),
    ReminderKind.STAGE1_VALIDITY_ENDING: gettext_lazy(
        "Stage 1 is valid until %(due)s: hold stage 2 by then, or record a justification "
        "or repeat stage 1."
    ),
    ReminderKind.MAJORS_STAGE2_LIMIT: gettext_lazy(
        "This major must be verified by %(due)s: after that the certification cannot be "
        "granted on this stage 2 and a new stage 2 is required."
    ),
    ReminderKind.AUDIT_WITHOUT_TEAM: gettext_lazy(
        "The audit starts on %(due)s and has no team leader yet: appoint the audit team."
    ),
    ReminderKind.AUDIT_UPCOMING: gettext_lazy(
        "You are on the team of this audit, which starts on %(due)s."
    ),
    ReminderKind.CERTSEARCH_UPLOAD_DUE: gettext_lazy(
        "Upload this month's export to IAF CertSearch by %(due)s (IAF MD 28) and record the "
        "upload in certbody."
    ),
    ReminderKind.CERTSEARCH_UPLOAD_OVERDUE: gettext_lazy(
        "The IAF CertSearch upload was due by %(due)s and has not been recorded: upload the "
        "export now (IAF MD 28: at least monthly) and record it."
    ),
}


def kind_line(reminder: Reminder) -> str:
    """The digest's sentence for one reminder, in the active language."""
    return KIND_LINES[reminder.kind] % {"due": reminder.due_date.isoformat()}


# Reminders that ask for a lifecycle step link to that step's admin page.
KIND_TRANSITIONS = {ReminderKind.SUSPENSION_PROPOSED: "suspend"}


def admin_path(reminder: Reminder) -> str:
    """The subject's admin change page, or the lifecycle step the reminder asks for."""
    ct = reminder.content_type
    if reminder.kind in KIND_TRANSITIONS:
        return reverse(
            f"admin:{ct.app_label}_{ct.model}_transition",
            args=[reminder.object_id, KIND_TRANSITIONS[reminder.kind]],
        )
    return reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[reminder.object_id])


def admin_url(reminder: Reminder) -> str:
    """Absolute link to the subject's admin change page (PUBLIC_BASE_URL + path), for mail."""
    return _absolute(admin_path(reminder))


def page_path(reminder: Reminder) -> str:
    """Where the reminder's work gets done: the workspace page of its subject (the
    certification, or the step the reminder asks for, e.g. suspend; the audit; a finding on its
    audit's page), in the active language. The reminders app only names the workspace's pages
    (workspace/urls.py), it does not import them. Subjects without a workspace page (the
    the CertSearch upload month on the workspace's CertSearch page); the admin only without
    the workspace."""
    ct, pk = reminder.content_type, reminder.object_id
    subject = f"{ct.app_label}.{ct.model}"
    try:
        if subject == "certificates.certification":
            step = KIND_TRANSITIONS.get(reminder.kind)
            if step:
                return reverse("workspace:certification_action", args=[pk, step])
            return reverse("workspace:certification", args=[pk])
        if subject == "audits.audit":
            return reverse("workspace:audit", args=[pk])
        if subject == "audits.finding" and reminder.subject is not None:
            return reverse("workspace:audit", args=[reminder.subject.audit_id]) + f"#finding-{pk}"
        if subject == "certificates.certsearchupload":
            return reverse("workspace:certsearch") + f"#month-{pk}"
    except NoReverseMatch:  # a deployment without the workspace
        pass
    return admin_path(reminder)


def page_url(reminder: Reminder) -> str:
    """Absolute link to where the reminder's work gets done (``page_path``), for mail."""
    return _absolute(page_path(reminder))


def reminders_url() -> str:
    """Absolute link to the recipient's reminders, where they acknowledge them (the workspace's
    list of my reminders; the admin's list without the workspace)."""
    try:
        return _absolute(reverse("workspace:reminders"))
    except NoReverseMatch:
        return _absolute(reverse("admin:reminders_reminder_changelist"))


def _absolute(path: str) -> str:
    """PUBLIC_BASE_URL + ``path``: the address people reach certbody at (run.py follows its
    port), never the address a worker happens to run at."""
    return policy("PUBLIC_BASE_URL").rstrip("/") + path


def _subject_label(reminder: Reminder) -> str:
    subject = reminder.subject
    if subject is None:
        return _("(deleted record #%(id)d)") % {"id": reminder.object_id}
    return subject_label(reminder.content_type, subject)


@dataclass
class Digest:
    recipient: object
    subject: str
    body: str
    reminders: list


def digest_for(recipient, reminders: list[Reminder], *, today: datetime.date) -> Digest:
    """The daily mail to one recipient, plain text, in the recipient's language
    (UserPreference.language, else LANGUAGE_CODE; user_language). Load the recipient with
    select_related("preference") to read it without a query."""
    with translation.override(user_language(recipient)):
        count = len(reminders)
        subject = ngettext(
            "[%(body)s] %(count)d deadline reminder, %(day)s",
            "[%(body)s] %(count)d deadline reminders, %(day)s",
            count,
        ) % {"body": policy("BODY_NAME"), "count": count, "day": today.isoformat()}
        lines = [
            _("Hello %(name)s,") % {"name": person_name(recipient)},
            "",
            _("These deadlines need your attention:"),
        ]
        by_kind = defaultdict(list)
        for reminder in reminders:
            by_kind[reminder.kind].append(reminder)
        for kind in ReminderKind:  # overdue after due, in the order the kinds are declared
            if kind not in by_kind:
                continue
            lines += ["", str(kind.label), "-" * len(str(kind.label))]
            for reminder in by_kind[kind]:
                lines += [
                    f"- {_subject_label(reminder)}",
                    f"  {kind_line(reminder)}",
                    f"  {page_url(reminder)}",
                ]
        lines += [
            "",
            _("See and acknowledge your reminders: %(url)s") % {"url": reminders_url()},
        ]
    return Digest(recipient=recipient, subject=subject, body="\n".join(lines), reminders=reminders)


def subject_prefetch() -> GenericPrefetch:
    """Reminders' subjects in one query per subject type, with what their labels print
    (the digest and the admin list): the querysets the apps registered (reminder_subject)."""
    return GenericPrefetch("subject", subject_querysets())


def load_subjects(reminders):
    """Fetch the subjects of ``reminders`` (a list) in one query per subject type."""
    prefetch_related_objects(reminders, subject_prefetch())
    return reminders


def pending_digests(*, today: datetime.date) -> list[Digest]:
    """What the sender would mail now (read only): one digest per recipient of unsent
    reminders."""
    reminders = list(
        Reminder.objects.unsent()
        .select_related("recipient__preference", "content_type")
        .order_by("recipient_id", "due_date", "pk")
    )
    load_subjects(reminders)
    digests = []
    for _user, rows in itertools.groupby(reminders, key=lambda r: r.recipient_id):
        group = list(rows)
        digests.append(digest_for(group[0].recipient, group, today=today))
    return digests
