import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Check that compiled translations (.mo) are present and not older than the .po files."

    def handle(self, *args, **options):
        stale = []
        for po in Path(settings.BASE_DIR, "locale").rglob("*.po"):  # our catalogues only
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                stale.append(po)
        if not stale:
            self.stdout.write("Translations compiled.")
            return
        try:
            subprocess.run(["msgfmt", "--version"], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            self.stdout.write("msgfmt (GNU gettext) not found: using the committed .mo files.")
            return
        call_command("compilemessages", verbosity=0, ignore_patterns=[".venv", "var"])
        self.stdout.write("Translations compiled.")
