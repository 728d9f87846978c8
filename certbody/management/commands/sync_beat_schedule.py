"""python manage.py sync_beat_schedule [--reset]

Creates the periodic tasks (django-celery-beat, admin *Periodic tasks*) that the code declares
in certbody/celery.py and the database does not have yet, and prints what it created and what it
kept. Rows staff changed in the admin are kept, and the report says how they differ from the
code; --reset sets them back to the code's schedules and enables them. Beat runs the same sync
(without --reset) when it starts.
"""

from django.core.management.base import BaseCommand

from certbody.beat import sync_beat_schedule


class Command(BaseCommand):
    help = "Create missing periodic tasks from the code's beat schedule; --reset restores them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Set existing periodic tasks back to the code's schedules (undoes admin edits).",
        )

    def handle(self, *args, reset=False, **options):
        report = sync_beat_schedule(reset=reset)
        for name in report.created:
            self.stdout.write(f"created  {name}")
        for name in report.reset:
            self.stdout.write(f"reset    {name}")
        for name in report.kept:
            differences = report.changed.get(name)
            note = f"  (differs from the code: {'; '.join(differences)})" if differences else ""
            self.stdout.write(f"kept     {name}{note}")
        self.stdout.write(
            f"{len(report.created)} created, {len(report.kept)} kept, {len(report.reset)} reset."
        )
