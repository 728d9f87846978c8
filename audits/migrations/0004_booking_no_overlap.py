"""An auditor cannot be booked on overlapping days: a PostgreSQL exclusion constraint, so two
staff booking the same auditor at the same moment cannot both succeed (the second insert
waits for the first and then fails). SQLite has no exclusion constraints: there the booking
service checks before writing, and SQLite serialises writers."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE audits_booking ADD CONSTRAINT booking_no_overlap
    EXCLUDE USING gist (auditor_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&);
"""
DROP = "ALTER TABLE audits_booking DROP CONSTRAINT IF EXISTS booking_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audits", "0003_audit_time_tables")]
    operations = [migrations.RunPython(forwards, backwards)]
