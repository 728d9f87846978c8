"""python manage.py send_reminders [--today YYYY-MM-DD] [--dry-run]

Runs the daily reminder scans for a date (default: today in the body's time zone) and sends
the digests, printing what it wrote and mailed. With --dry-run the scans run in a transaction
that is rolled back and nothing is mailed: it prints what it would write and send.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.dates import local_today
from reminders.digests import pending_digests
from reminders.registry import scan_all
from reminders.sending import send_due_reminders


class _DryRun(Exception):
    """Leaves the dry run's transaction (rolled back)."""


class Command(BaseCommand):
    help = "Run the reminder scans for a date and send the daily digests."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Scan as if today were this date (YYYY-MM-DD).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent; write nothing."
        )

    def handle(self, *args, today=None, dry_run=False, **options):
        try:
            day = datetime.date.fromisoformat(today) if today else local_today()
        except ValueError as err:
            raise CommandError(f"--today: {err}") from err
        if dry_run:
            try:
                with transaction.atomic():
                    result = scan_all(today=day)
                    self._print_scan(result, day, would=True)
                    for digest in pending_digests(today=day):
                        self._print_digest(digest, would=True)
                    raise _DryRun
            except _DryRun:
                pass
            self.stdout.write("Dry run: nothing was written or sent.")
            return
        result = scan_all(today=day)
        self._print_scan(result, day, would=False)
        digests = pending_digests(today=day)
        sent = send_due_reminders(today=day)
        for digest in digests:
            self._print_digest(digest, would=False)
        self.stdout.write(
            f"Sent {sent.mails} mail(s) with {sent.sent} reminder(s); {sent.failed} failed "
            "(kept for the next run)."
        )

    def _print_scan(self, result, day, *, would):
        verb = "Would write" if would else "Wrote"
        self.stdout.write(f"{verb} {result.total} new reminder(s) for {day.isoformat()}:")
        for kind, count in result.created.items():
            self.stdout.write(f"  {kind}: {count}")

    def _print_digest(self, digest, *, would):
        verb = "Would send" if would else "Digest"
        self.stdout.write(
            f"{verb} to {digest.recipient.username} <{digest.recipient.email}>: {digest.subject}"
        )
        for line in digest.body.splitlines():
            self.stdout.write(f"    {line}")
