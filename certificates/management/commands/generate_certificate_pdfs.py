"""``python manage.py generate_certificate_pdfs [--missing-only] [--limit N]``

Renders and stores certificate PDFs in this process. Issuing through the services queues each
version's PDF after commit; this command covers versions written without them (seed_demo's
bulk path) and re-renders every version after a layout change. Safe to run twice: an unchanged
PDF is not rewritten.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from certificates.documents import certificate_store_pdf
from certificates.models import Certificate


class Command(BaseCommand):
    help = "Render and store certificate PDFs (all, or only those not generated yet)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--missing-only",
            action="store_true",
            help="Only versions without a recorded PDF.",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="Render at most N versions (oldest first)."
        )

    def handle(self, *args, missing_only=False, limit=None, **options):
        if limit is not None and limit < 1:
            raise CommandError(_("--limit must be at least 1."))
        certificates = Certificate.objects.order_by("pk")
        if missing_only:
            certificates = certificates.filter(pdf="")
        pks = certificates.values_list("pk", flat=True)
        if limit is not None:
            pks = pks[:limit]
        rendered = written = 0
        # Primary keys first, then one row at a time: certificate_store_pdf locks and reloads
        # each, and memory stays flat on a large table.
        for pk in pks.iterator():
            certificate = Certificate.objects.filter(pk=pk).first()
            if certificate is None:
                continue
            written += certificate_store_pdf(certificate)
            rendered += 1
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Certificate PDFs rendered: %(rendered)d (%(written)d written, "
                    "%(same)d unchanged)."
                )
                % {"rendered": rendered, "written": written, "same": rendered - written}
            )
        )
