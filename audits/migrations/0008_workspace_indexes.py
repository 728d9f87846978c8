"""Indexes for the staff workspace's worklists and lists at 1.35 M certifications (BENCH,
bench/workspace.py; docs/decisions/009-workspace-speed.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0007_state_since"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="audit",
            index=models.Index(fields=["state", "planned_start", "id"], name="audit_state_start"),
        ),
        migrations.AddIndex(
            model_name="audit",
            index=models.Index(
                condition=models.Q(("state__in", ["planned", "in_progress", "report_submitted"])),
                fields=["planned_start", "id"],
                name="audit_open_start",
            ),
        ),
        migrations.AddIndex(
            model_name="audit",
            index=models.Index(
                condition=models.Q(("state__in", ["planned", "in_progress", "report_submitted"])),
                fields=["due_by", "id"],
                name="audit_open_due",
            ),
        ),
        migrations.AddIndex(
            model_name="audit",
            index=models.Index(
                condition=models.Q(("decision__isnull", True), ("state", "closed")),
                fields=["certification"],
                name="audit_undecided",
            ),
        ),
        migrations.AddIndex(
            model_name="audit",
            index=models.Index(
                condition=models.Q(("kind", "recertification")),
                fields=["certification", "cycle"],
                name="audit_recert",
            ),
        ),
    ]
