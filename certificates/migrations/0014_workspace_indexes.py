"""Indexes for the staff workspace's worklists and lists at 1.35 M certifications (BENCH,
bench/workspace.py; docs/decisions/009-workspace-speed.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0013_scopeextension"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="certification",
            index=models.Index(
                fields=["state", "state_since", "id"], name="certification_state_since"
            ),
        ),
        migrations.AddIndex(
            model_name="certification",
            index=models.Index(fields=["state", "application"], name="certification_state_appl"),
        ),
    ]
