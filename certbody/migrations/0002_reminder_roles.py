"""Staff and decision makers see reminders and may acknowledge them (change permission); the
Administrator group holds every permission."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ["CB staff", "Decision maker"]


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("certbody")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="certbody",
        codename__in=["view_reminder", "change_reminder"],
    )
    for name in ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*perms)
    admin, _ = Group.objects.get_or_create(name="Administrator")
    admin.permissions.add(*Permission.objects.filter(content_type__app_label="certbody"))


class Migration(migrations.Migration):
    dependencies = [
        ("certbody", "0001_initial"),
        ("certificates", "0002_roles"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
