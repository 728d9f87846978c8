"""python manage.py export_certificates --out FILE [--format csv|xlsx] [--encoding ENC]
[--language zh|en]

Writes the existing certificates in the certificate import's columns; importing the file again
changes nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from certificates.imports.certificate_export import ENCODINGS, FORMATS, export_certificates


class Command(BaseCommand):
    help = "Export the certificates as CSV or XLSX, in the columns the certificate import reads."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="The file to write.")
        parser.add_argument("--format", choices=FORMATS, help="Default: from the file name.")
        parser.add_argument("--encoding", choices=ENCODINGS, default="utf-8-sig")
        parser.add_argument("--language", choices=["zh", "en"], default="zh")

    def handle(self, *args, out, format=None, encoding="utf-8-sig", language="zh", **options):
        path = Path(out)
        format = format or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
        try:
            count = export_certificates(path, format=format, encoding=encoding, language=language)
        except OSError as err:
            raise CommandError(f"{out}: {err.strerror}") from err
        self.stdout.write(f"Wrote {count} certificates to {path}.")
