"""Permissions on the audit-time, auditor and booking models for the four roles.

CB staff keep the tables, calculations, auditor profiles, declarations and bookings; auditors
enter their own unavailability (the auditor pages limit them to themselves); everyone sees."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW = [
    ("clients", "technicalarea"),
    ("audits", "audittimetable"),
    ("audits", "audittimerow"),
    ("audits", "audittimecalculation"),
    ("audits", "auditorprofile"),
    ("audits", "qualification"),
    ("audits", "relationshipdeclaration"),
    ("audits", "impartialitydeclaration"),
    ("audits", "booking"),
    ("audits", "unavailability"),
]
STAFF_EDITS = [m for m in NEW if m != ("clients", "technicalarea")]


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perm(app, codename):
        return Permission.objects.get(content_type__app_label=app, codename=codename)

    views = [perm(a, f"view_{m}") for a, m in NEW]
    for name in ("CB staff", "Auditor", "Decision maker"):
        Group.objects.get(name=name).permissions.add(*views)
    edits = []
    for a, m in STAFF_EDITS:
        edits += [perm(a, f"add_{m}"), perm(a, f"change_{m}"), perm(a, f"delete_{m}")]
    Group.objects.get(name="CB staff").permissions.add(*edits)
    Group.objects.get(name="Administrator").permissions.add(*Permission.objects.all())


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0004_certification_decision_maker"),
        ("audits", "0004_booking_no_overlap"),
        ("clients", "0004_iaf_technical_areas"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
