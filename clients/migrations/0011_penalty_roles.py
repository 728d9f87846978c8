"""Permissions on administrative penalties for the four roles: CB staff record them (add,
change, view; none deletes a record the intake relied on), the other roles see them, and the
Administrator has every permission."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perm(codename):
        return Permission.objects.get(content_type__app_label="clients", codename=codename)

    view = perm("view_penalty")
    for name in ("Auditor", "Decision maker"):
        Group.objects.get(name=name).permissions.add(view)
    Group.objects.get(name="CB staff").permissions.add(
        view, perm("add_penalty"), perm("change_penalty")
    )
    Group.objects.get(name="Administrator").permissions.add(*Permission.objects.all())


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0010_penalties"),
        # The roles (groups) are created there.
        ("certificates", "0005_roles_auditors_audit_time"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
