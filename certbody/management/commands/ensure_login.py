from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create (or reset the password of) the administrator login printed by run.py."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--demo-password",
            help="Also let the seeded demo users (*_demo) log in with this password (laptop only).",
        )

    def handle(self, *args, username, password, demo_password=None, **options):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@localhost"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name="Administrator"))
        self.stdout.write(f"{'Created' if created else 'Updated'} login {username}.")
        if demo_password:
            for demo in get_user_model().objects.filter(username__endswith="_demo"):
                demo.set_password(demo_password)
                demo.save(update_fields=["password"])
