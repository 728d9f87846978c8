from django.core.management import call_command
from django.core.management.base import BaseCommand

from clients.models import Client


class Command(BaseCommand):
    help = "Run seed_demo only when there are no clients yet (used by run.py)."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=60)

    def handle(self, *args, clients, **options):
        if Client.objects.exists():
            self.stdout.write("Demo data already present.")
            return
        call_command("seed_demo", clients=clients, stdout=self.stdout)
