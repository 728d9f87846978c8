"""python manage.py import_clients FILE [--dry-run] [--encoding ENC]

Imports a client list (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030, or XLSX; headers in
Chinese or English, see clients/imports/columns.py). All or nothing: with any row error nothing
is written, the errors are printed (row, column, value, why) and the exit code is 1. With
--dry-run nothing is written either way: it prints what would be created, updated and left
unchanged.
"""

from django.core.management.base import BaseCommand, CommandError

from clients.imports.client_import import import_clients


class Command(BaseCommand):
    help = "Import clients (with sites, contacts and applications) from a CSV or XLSX file."

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

    def handle(self, *args, file, dry_run=False, encoding=None, **options):
        try:
            source = open(file, "rb")  # noqa: SIM115 (closed below)
        except OSError as err:
            raise CommandError(f"{file}: {err.strerror}") from err
        with source:
            report = import_clients(source, encoding=encoding, dry_run=dry_run)
        print_report(self, report)
        if not report.ok:
            raise CommandError("Nothing was imported.", returncode=1)


def print_report(command, report) -> None:
    out, err = command.stdout, command.stderr
    for message in report.file_error:
        err.write(str(message))
    if report.file_error:
        return
    if report.format:
        encoding = f", {report.encoding}" if report.encoding else ""
        out.write(f"File: {report.format}{encoding}")
    if report.unknown_columns:
        out.write("Columns not imported (unknown): " + ", ".join(report.unknown_columns))
    for error in report.errors:
        err.write(str(error))
    if report.error_count > len(report.errors):
        err.write(f"... and {report.error_count - len(report.errors)} more errors.")
    out.write(report.summary())
    if report.ok:
        out.write("Dry run: nothing was written." if report.dry_run else "Imported.")
