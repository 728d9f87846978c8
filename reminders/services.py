"""What staff do with reminders: acknowledge them (the admin's action). The scans write them
(reminders/registry.py, each app's reminders.py) and reminders/sending.py mails them."""

from django.utils import timezone


def reminders_acknowledge(*, reminders, by) -> int:
    """Record that ``by`` has seen these reminders (those nobody acknowledged yet); returns
    how many were acknowledged now."""
    return reminders.filter(acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=timezone.now()
    )
