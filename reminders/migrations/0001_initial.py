"""Reminder moves here from the certbody project package (certbody 0001-0006 created it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



def relabel_content_type(apps, schema_editor):
    """The model's content type (and so its permissions, which the roles hold) moves with it."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="certbody", model="reminder").update(app_label="reminders")


def relabel_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="reminders", model="reminder").update(app_label="certbody")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("certbody", "0007_models_leave_the_project"),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]


    operations = [
        # The table exists: certbody's migrations created it, and certbody 0007 renamed it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Reminder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('surveillance_due', 'Surveillance due'), ('surveillance_overdue', 'Surveillance overdue'), ('suspension_proposed', 'Suspension proposed'), ('suspended_automatically', 'Suspended automatically'), ('recertification_planning', 'Recertification planning due'), ('certificate_expiring', 'Certificate expiring'), ('certificate_expired', 'Certificate expired'), ('restoration_window_closing', 'Restoration window closing'), ('suspension_deadline_approaching', 'Suspension deadline approaching'), ('suspension_deadline_reached', 'Suspension deadline reached'), ('finding_plan_due', 'Finding plan due'), ('finding_plan_overdue', 'Finding plan overdue'), ('finding_correction_due', 'Finding correction due'), ('finding_correction_overdue', 'Finding correction overdue'), ('finding_verification_due', 'Finding verification due'), ('finding_verification_overdue', 'Finding verification overdue'), ('stage1_validity_ending', 'Stage 1 validity ending'), ('majors_stage2_limit', 'Open majors near the stage 2 limit'), ('audit_without_team', 'Audit without a team'), ('audit_upcoming', 'Upcoming audit'), ('certsearch_upload_due', 'IAF CertSearch upload due'), ('certsearch_upload_overdue', 'IAF CertSearch upload overdue')], max_length=40, verbose_name='kind')),
                        ('object_id', models.PositiveBigIntegerField(verbose_name='subject id')),
                        ('due_date', models.DateField(verbose_name='due date')),
                        ('lead_days', models.PositiveSmallIntegerField(default=0, verbose_name='days before')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('sent_at', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='sent at')),
                        ('attempts', models.PositiveIntegerField(default=0, verbose_name='send attempts')),
                        ('last_error', models.TextField(blank=True, verbose_name='last error')),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='acknowledged at')),
                        ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='acknowledged by')),
                        ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='contenttypes.contenttype', verbose_name='subject type')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
                    ],
                    options={
                        'verbose_name': 'reminder',
                        'verbose_name_plural': 'reminders',
                        'ordering': ['-due_date', '-pk'],
                        'constraints': [models.UniqueConstraint(fields=('content_type', 'object_id', 'kind', 'due_date', 'lead_days', 'recipient'), name='one_reminder_per_subject_kind_due_date_lead_recipient')],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_content_type, relabel_content_type_back),
    ]
