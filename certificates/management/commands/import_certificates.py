"""python manage.py import_certificates FILE [--dry-run] [--encoding ENC] [--on YYYY-MM-DD]

Imports existing certificates (a body migrating from its previous system, or certificates
transferred from another body) into their lifecycle states; columns in
certificates/imports/certificate_columns.py. The clients must already be in certbody (import the
client list first). All or nothing: with any row error nothing is written, the errors are
printed (row, column, value, why) and the exit code is 1. With --dry-run nothing is written
either way: it prints what would be imported and what is already in certbody unchanged.
The StateLog records the import as done by the system (no user).
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from certificates.imports.certificate_import import import_certificates
from clients.management.commands.import_clients import print_report


class Command(BaseCommand):
    help = "Import existing certificates (migrated or transferred) from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV or XLSX file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count only; write nothing."
        )
        parser.add_argument(
            "--encoding",
            choices=["utf-8", "utf-8-sig", "gbk", "gb18030"],
            help="Encoding of a CSV file (default: detected).",
        )
        parser.add_argument(
            "--on",
            type=datetime.date.fromisoformat,
            help="The import date the rules judge by, YYYY-MM-DD (default: today).",
        )

    def handle(self, *args, file, dry_run=False, encoding=None, on=None, **options):
        try:
            source = open(file, "rb")  # noqa: SIM115 (closed below)
        except OSError as err:
            raise CommandError(f"{file}: {err.strerror}") from err
        with source:
            report = import_certificates(source, encoding=encoding, dry_run=dry_run, on=on)
        print_report(self, report)
        if not report.ok:
            raise CommandError("Nothing was imported.", returncode=1)
