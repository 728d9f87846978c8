"""A stable public identity per certification, the lookup key of certificate numbers, and the
stored PDF of each certificate version. Existing rows get their values here (a unique UUID
each, and the number reduced to letters and digits)."""

import re
import unicodedata
import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    Certification = apps.get_model("certificates", "Certification")
    Certificate = apps.get_model("certificates", "Certificate")
    for pk in Certification.objects.values_list("pk", flat=True).iterator():
        Certification.objects.filter(pk=pk).update(public_id=uuid.uuid4())
    for pk, number in Certificate.objects.values_list("pk", "number").iterator():
        key = re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", number).upper())
        Certificate.objects.filter(pk=pk).update(number_key=key)


class Migration(migrations.Migration):
    dependencies = [("certificates", "0005_roles_auditors_audit_time")]

    operations = [
        migrations.AddField(
            model_name="certification",
            name="public_id",
            field=models.UUIDField(null=True, editable=False, verbose_name="public identity"),
        ),
        migrations.AddField(
            model_name="certificate",
            name="number_key",
            field=models.CharField(
                default="", editable=False, max_length=40, db_index=True, verbose_name="number key"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="certificate",
            name="pdf",
            field=models.FileField(blank=True, upload_to="certificates/%Y/", verbose_name="PDF"),
        ),
        migrations.AddField(
            model_name="certificate",
            name="pdf_generated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="PDF generated at"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="certification",
            name="public_id",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="public identity"
            ),
        ),
    ]
