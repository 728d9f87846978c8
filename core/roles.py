"""The roles (groups created by migrations: CB staff, Auditor, Decision maker, Administrator)
and the permissions a new model gives them, for the data migrations that add a model."""

from django.contrib.auth.management import create_permissions


def staff_record_everyone_sees(app_label: str, model_name: str):
    """A RunPython function: CB staff add, change and view rows of the model (none deletes a
    record something rests on); auditors and decision makers view them (the object rules,
    audits/access.py, narrow what auditors see); the Administrator has every permission."""

    def forwards(apps, schema_editor):
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")

        def perm(action):
            return Permission.objects.get(
                content_type__app_label=app_label, codename=f"{action}_{model_name}"
            )

        view = perm("view")
        for name in ("Auditor", "Decision maker"):
            Group.objects.get(name=name).permissions.add(view)
        Group.objects.get(name="CB staff").permissions.add(view, perm("add"), perm("change"))
        Group.objects.get(name="Administrator").permissions.add(*Permission.objects.all())

    return forwards
