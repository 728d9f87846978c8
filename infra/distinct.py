"""The distinct values of an indexed column without reading every row.

``SELECT DISTINCT city FROM clients_client`` reads the whole table (or the whole index): over
1,350,000 clients that is a second, to list a few dozen cities for a filter. PostgreSQL has no
skip scan, but a recursive query does one by hand: each step asks the B-tree index for the
first value greater than the last one found, so the cost is one index probe per distinct value
(a "loose index scan"). Measured with bench/workspace.py (docs/decisions/009-workspace-speed.md).

Use it where the values to list are those of the whole table (a user who sees every row); for
a filtered queryset (an auditor's few clients) the plain DISTINCT over the small set is right.
"""

from django.db import connection

# More distinct values than this is no list for a person to pick from.
MAX_VALUES = 2000


def distinct_values(model, field_name: str, *, limit: int = MAX_VALUES) -> list:
    """The distinct non-empty values of ``model.field_name`` in order, at most ``limit``.
    On PostgreSQL the field must have a B-tree index whose first column it is."""
    field = model._meta.get_field(field_name)
    if connection.vendor != "postgresql":
        rows = (
            model._default_manager.exclude(**{field_name: ""})
            .exclude(**{f"{field_name}__isnull": True})
            .order_by(field_name)
            .values_list(field_name, flat=True)
            .distinct()[:limit]
        )
        return list(rows)
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field.column)
    sql = (
        f"WITH RECURSIVE found(value) AS ("
        f" (SELECT {column} FROM {table} WHERE {column} > '' ORDER BY {column} LIMIT 1)"
        f" UNION ALL"
        f" SELECT (SELECT {column} FROM {table} WHERE {column} > found.value"
        f" ORDER BY {column} LIMIT 1) FROM found WHERE found.value IS NOT NULL"
        f") SELECT value FROM found WHERE value IS NOT NULL LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return [row[0] for row in cursor.fetchall()]
