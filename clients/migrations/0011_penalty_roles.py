"""Permissions on administrative penalties for the four roles: CB staff record them (add,
change, view; none deletes a record the intake relied on), the other roles see them, and the
Administrator has every permission."""

from django.db import migrations

from core.roles import staff_record_everyone_sees


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0010_penalties"),
        # The roles (groups) are created there.
        ("certificates", "0005_roles_auditors_audit_time"),
    ]
    operations = [
        migrations.RunPython(
            staff_record_everyone_sees("clients", "penalty"), migrations.RunPython.noop
        )
    ]
