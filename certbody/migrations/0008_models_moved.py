"""Reminder and UserPreference now belong to the reminders and accounts apps (state only: the
tables stay, under the names 0007 gave them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("certbody", "0007_models_leave_the_project"),
        ("reminders", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Reminder"),
                migrations.DeleteModel(name="UserPreference"),
            ],
        ),
    ]
