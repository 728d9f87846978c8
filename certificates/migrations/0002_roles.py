"""The four roles as groups with permissions: CB staff, auditor, decision maker, administrator.
Transitions check these permissions (django-fsm ``permission=``), in the admin and elsewhere."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    ("clients", m)
    for m in ["client", "site", "contact", "standard", "requireddocument", "application",
              "applicationdocument"]
] + [("audits", m) for m in ["audit", "finding"]] + [
    ("certificates", m) for m in ["certification", "decision", "certificate"]
] + [("django_fsm_log", "statelog")]

ROLES = {
    "CB staff": {
        "view": VIEW_ALL,
        "add_change": [
            ("clients", m)
            for m in ["client", "site", "contact", "application", "applicationdocument"]
        ] + [("audits", "audit")],
        "custom": [
            ("certificates", "review_application"),
            ("certificates", "manage_certification"),
            ("audits", "manage_audit"),
        ],
    },
    "Auditor": {
        "view": VIEW_ALL,
        "add_change": [("audits", "finding")],
        "custom": [("audits", "conduct_audit")],
    },
    "Decision maker": {
        "view": VIEW_ALL,
        "add_change": [],
        "custom": [("certificates", "decide_certification")],
    },
}


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perm(app, codename):
        return Permission.objects.get(content_type__app_label=app, codename=codename)

    for name, spec in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = [perm(a, f"view_{m}") for a, m in spec["view"]]
        for a, m in spec["add_change"]:
            perms += [perm(a, f"add_{m}"), perm(a, f"change_{m}")]
        perms += [perm(a, c) for a, c in spec["custom"]]
        group.permissions.add(*perms)
    admin, _ = Group.objects.get_or_create(name="Administrator")
    admin.permissions.add(*Permission.objects.all())


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0001_initial"),
        ("audits", "0001_initial"),
        ("clients", "0002_standards"),
        ("django_fsm_log", "__latest__"),
        ("auth", "__latest__"),
        ("contenttypes", "__latest__"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
