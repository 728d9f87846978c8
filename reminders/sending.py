"""Sending: every unsent reminder is mailed in one digest per recipient (reminders/digests.py),
and marked sent in the transaction that mailed it, so it is mailed once. A failed send stays
unsent (attempts, last error) and goes out on the next send run: the daily one (beat, or
``manage.py send_reminders``); the sweep (reminders/tasks.py) sends only those never tried.
"""

import datetime
import logging
from dataclasses import dataclass

from django.core import mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from reminders.digests import digest_for, load_subjects
from reminders.models import Reminder

logger = logging.getLogger(__name__)


@dataclass
class SendResult:
    mails: int = 0
    sent: int = 0
    failed: int = 0


def send_due_reminders(
    *, today: datetime.date, now: datetime.datetime | None = None, never_attempted: bool = False
) -> SendResult:
    """Mail every unsent reminder, one digest per recipient.

    Per recipient, in one transaction: lock that recipient's unsent rows (skip_locked: a
    concurrent sender takes the others or nothing), send, and mark them sent. A failed send
    records the attempt and the error and leaves them unsent for the next run. The only window
    for a duplicate is a crash between the mail server accepting the mail and the commit.

    ``never_attempted``: only reminders no send was tried for (the sweep: their queued sending
    was lost); those whose mail failed wait for the daily send run.
    """
    now = now or timezone.now()
    result = SendResult()
    unsent = Reminder.objects.unsent()
    if never_attempted:
        unsent = unsent.filter(attempts=0)
    recipients = unsent.order_by("recipient_id").values_list("recipient_id", flat=True).distinct()
    for recipient_id in list(recipients):
        with transaction.atomic():
            reminders = list(
                unsent.filter(recipient_id=recipient_id)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient__preference", "content_type")
                .order_by("due_date", "pk")
            )
            if not reminders:
                continue  # another sender holds them
            pks = [r.pk for r in reminders]
            rows = Reminder.objects.filter(pk__in=pks)
            try:
                digest = digest_for(reminders[0].recipient, load_subjects(reminders), today=today)
                if not digest.recipient.email:
                    raise ValueError(_("The recipient has no email address."))
                message = mail.EmailMessage(
                    digest.subject, digest.body, to=[digest.recipient.email]
                )
                with mail.get_connection() as connection:
                    connection.send_messages([message])
            except Exception as err:  # any failure: keep it visible and retry next run
                logger.warning("Reminder digest to user %s failed: %s", recipient_id, err)
                rows.update(attempts=F("attempts") + 1, last_error=f"{type(err).__name__}: {err}")
                result.failed += len(pks)
                continue
            rows.update(attempts=F("attempts") + 1, sent_at=now, last_error="")
            result.mails += 1
            result.sent += len(pks)
    return result
