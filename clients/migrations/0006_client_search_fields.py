"""Derived search fields for the public name search (certificates/selectors_public.py).

search_text and search_grams are filled for existing rows in batches; on PostgreSQL a GIN index
on the gram array lets a two-character Chinese query (华为) use an index, which pg_trgm cannot.
"""

from django.db import migrations, models

from clients.models import normalise_search, search_grams

BATCH = 2000
INDEX = "clients_client_search_grams_gin"


def backfill(apps, schema_editor):
    """Fill both fields in batches of BATCH rows, reading with a server-side cursor. On
    PostgreSQL one UPDATE ... FROM unnest(...) per batch: bulk_update's CASE WHEN per row took
    229 s for 200,000 clients (quadratic in the batch), this takes seconds."""
    Client = apps.get_model("clients", "Client")
    connection = schema_editor.connection
    db = connection.alias
    rows = (
        Client.objects.using(db)
        .order_by("pk")
        .values_list("pk", "legal_name", "english_name")
        .iterator(chunk_size=BATCH)
    )

    def write(batch):
        if connection.vendor == "postgresql":
            ids, texts, grams = zip(*batch, strict=True)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE clients_client AS c SET search_text = v.t, search_grams = v.g "
                    "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, t, g) "
                    "WHERE c.id = v.id",
                    [list(ids), list(texts), list(grams)],
                )
        else:
            Client.objects.using(db).bulk_update(
                [Client(pk=pk, search_text=t, search_grams=g) for pk, t, g in batch],
                ["search_text", "search_grams"],
                batch_size=200,
            )

    batch = []
    for pk, legal_name, english_name in rows:
        text = normalise_search(f"{legal_name} {english_name}")
        batch.append((pk, text, search_grams(text)))
        if len(batch) == BATCH:
            write(batch)
            batch = []
    if batch:
        write(batch)


def create_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON clients_client "
            "USING gin ((string_to_array(search_grams, ' ')))"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0005_certsearch_consent"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="search_text",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="search text"
            ),
        ),
        migrations.AddField(
            model_name="client",
            name="search_grams",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="search grams"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_gin_index, drop_gin_index),
    ]
