"""UserPreference moves here from the certbody project package (certbody 0005 created it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



def relabel_content_type(apps, schema_editor):
    """The model's content type (and so its permissions, which the roles hold) moves with it."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="certbody", model="userpreference").update(app_label="accounts")


def relabel_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="accounts", model="userpreference").update(app_label="certbody")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("certbody", "0007_models_leave_the_project"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]


    operations = [
        # The table exists: certbody's migrations created it, and certbody 0007 renamed it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='UserPreference',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('language', models.CharField(blank=True, choices=[('en', 'English'), ('zh-hans', 'Simplified Chinese')], help_text='Language of the mail certbody sends and of the interface after login.', max_length=10, verbose_name='language')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='preference', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'preference',
                        'verbose_name_plural': 'preferences',
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_content_type, relabel_content_type_back),
    ]
