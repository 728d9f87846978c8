"""PostgreSQL: a pg_trgm GIN index on search_text for the public name search.

For text of 3 characters or more, LIKE '%text%' is answered by this index; the bigram index of
0006 stays for 2-character text (e.g. 华为), which trigrams cannot look up. Nothing on SQLite.
"""

from django.db import migrations

INDEX = "clients_client_search_text_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON clients_client USING gin (search_text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("clients", "0006_client_search_fields")]

    operations = [migrations.RunPython(create, drop)]
