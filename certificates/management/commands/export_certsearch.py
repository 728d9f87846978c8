"""Write the IAF CertSearch export (.xlsx, at most CERTSEARCH_MAX_ROWS rows a file):

    python manage.py export_certsearch --out DIR [--date YYYY-MM-DD]

Files are named certsearch-<date>-001.xlsx, -002.xlsx, ...; the date (default: today in the
body's time zone) also decides which certificates count as expired. Tabs, fields and rules:
certificates/certsearch.py and certificates/certsearch_spec.py (IAF's template 2.1). What to set
before the first upload (CERTBODY_ACCREDITATION, each standard's Scheme Name) is printed as a
warning first; a record breaking the template stops the export with every problem listed.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from certificates.certsearch import CertSearchError, certsearch_warnings, certsearch_write
from core.dates import local_today


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": value}
        ) from None


class Command(BaseCommand):
    help = "Write the IAF CertSearch certification export (.xlsx files) into a folder."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="folder to write into (created)")
        parser.add_argument("--date", help="export date, YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        on = _date(options["date"]) if options.get("date") else local_today()
        for warning in certsearch_warnings():
            self.stderr.write(self.style.WARNING(_("Warning: %(text)s") % {"text": warning}))
        try:
            files = certsearch_write(out_dir=options["out"], on=on)
        except CertSearchError as err:
            raise CommandError("\n".join(err.messages)) from err
        for f in files:
            self.stdout.write(_("%(path)s: %(rows)d rows") % {"path": f.path, "rows": f.rows})
        total = sum(f.rows for f in files)
        self.stdout.write(
            self.style.SUCCESS(
                _("Total: %(rows)d rows in %(files)d files.") % {"rows": total, "files": len(files)}
            )
        )
