from django.db import migrations, models


class Migration(migrations.Migration):
    """The workspace's client list filtered by city, ordered by name: (city, legal_name, id)
    replaces the index on city alone (it serves every lookup by city as well)."""

    dependencies = [
        ("clients", "0011_penalty_roles"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["city", "legal_name", "id"], name="client_city_name"),
        ),
        migrations.RemoveIndex(model_name="client", name="client_city"),
    ]
