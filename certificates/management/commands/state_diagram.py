from django.core.management.base import BaseCommand

from certificates.diagram import markdown, write_readme


class Command(BaseCommand):
    help = "Print the Mermaid state diagrams generated from the transitions (or --write README)."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="Update README.md in place.")

    def handle(self, *args, write=False, **options):
        if write:
            changed = write_readme()
            self.stdout.write("README.md updated." if changed else "README.md already current.")
        else:
            self.stdout.write(markdown())
