"""The project package keeps no models: Reminder goes to the reminders app and UserPreference to
the accounts app. Their tables are renamed here to the new apps' names; the new apps' 0001
migrations take them over (state only) and 0008 drops them from certbody's state."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("certbody", "0006_axes_administrator"),
    ]

    operations = [
        migrations.AlterModelTable(name="reminder", table="reminders_reminder"),
        migrations.AlterModelTable(name="userpreference", table="accounts_userpreference"),
    ]
