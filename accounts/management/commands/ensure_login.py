"""``python manage.py ensure_login [--username admin] [--demo-users]``

Creates the administrator login once (run.py and compose run this at every start). An existing
login is left as it is: its password is never reset here (``manage.py changepassword`` does
that). No password is ever taken from the command line (the process list shows it to every
user of the machine): the new login's password comes from the environment variable
``CERTBODY_ADMIN_PASSWORD``, or is generated and printed once, when the login is created.

``--demo-users`` gives the seeded demo users (``*_demo``) that have no usable password yet the
password in ``CERTBODY_DEMO_PASSWORD`` (default ``demo``; laptop only); a password set since is
kept.
"""

import os
import secrets
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

PASSWORD_ENV = "CERTBODY_ADMIN_PASSWORD"
DEMO_PASSWORD_ENV = "CERTBODY_DEMO_PASSWORD"


def _python() -> str:
    """How to call this Python in the hint: ``.venv/bin/python`` from run.py's venv."""
    try:
        return str(Path(sys.executable).relative_to(settings.BASE_DIR))
    except ValueError:
        return "python"


class Command(BaseCommand):
    help = (
        "Create the administrator login once (password from CERTBODY_ADMIN_PASSWORD, or "
        "generated and printed once); an existing login is left unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--demo-users",
            action="store_true",
            help="Let the seeded demo users (*_demo) without a password log in with "
            "CERTBODY_DEMO_PASSWORD (default: demo). Laptop only.",
        )

    def handle(self, *args, username, demo_users=False, **options):
        User = get_user_model()
        reset = f"{_python()} manage.py changepassword {username}"
        given = password = ""
        with transaction.atomic():
            user = User.objects.select_for_update().filter(username=username).first()
            created = user is None
            if created:
                given = os.environ.get(PASSWORD_ENV, "")
                password = given or secrets.token_urlsafe(12)
                user = User.objects.create_user(
                    username=username,
                    email=f"{username}@localhost",
                    password=password,
                    is_staff=True,
                    is_superuser=True,
                )
                user.groups.add(Group.objects.get(name="Administrator"))
        if not created:
            self.stdout.write(
                f"The login {username} exists; its password is kept (to reset it: {reset})."
            )
        elif given:
            self.stdout.write(
                f"Created the login {username} with the password in {PASSWORD_ENV} "
                f"(to change it: {reset})."
            )
        else:
            self.stdout.write(
                f"Created the login {username}, password: {password}\n"
                f"  (shown this once; to change it: {reset})"
            )
        if demo_users:
            demo_password = os.environ.get(DEMO_PASSWORD_ENV, "") or "demo"
            for demo in User.objects.filter(username__endswith="_demo"):
                if not demo.has_usable_password():
                    demo.set_password(demo_password)
                    demo.save(update_fields=["password"])
