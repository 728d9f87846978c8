from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0011_state_since"),
    ]

    operations = [
        migrations.AddField(
            model_name="decision",
            name="at_client_request",
            field=models.BooleanField(
                default=False,
                help_text="Suspended or withdrawn because the client asked for it.",
                verbose_name="at the client's request",
            ),
        ),
    ]
