"""Writing many rows at once on PostgreSQL, inside the import's transaction (other databases:
Django's bulk methods, for the tests and development).

- :func:`values_in`: the existing rows of a chunk's keys, parameters bound on the server in
  binary and the statement prepared once per connection;
- :func:`update_rows` / :func:`bulk_update`: one ``UPDATE ... FROM unnest(arrays)`` per batch;
- :func:`tune_import_transaction`: the import's work_mem.

COPY of new rows: pgcopy.py.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F

from core.policy import policy
from infra.db import server_bound_cursor

BATCH = 2000  # rows per statement (the import's chunk)


def filter_in(queryset, name: str, values):
    """``queryset.filter(<name>__in=values)``; on PostgreSQL as ``column = ANY(array)``, one
    parameter instead of one placeholder per value: Django builds 2,000 placeholders and
    psycopg parses them again for every chunk (35 ms per query of a 2,000-row chunk)."""
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{name}__in": values})
    meta = queryset.model._meta
    qn = connection.ops.quote_name
    column = f"{qn(meta.db_table)}.{qn(meta.get_field(name).column)}"
    return queryset.extra(where=[f"{column} = ANY(%s)"], params=[list(values)])


def values_in(queryset, name: str, values, fields) -> list[tuple]:
    """``filter_in(queryset, name, values).values_list(*fields)`` as a list of tuples. On
    PostgreSQL the query runs on a psycopg cursor of Django's connection (the same
    transaction) with its parameters bound on the server in binary: Django's cursor quotes the
    array of 2,000 keys into the SQL text in Python (the regular expression per element), a
    cost paid by every chunk, new clients included."""
    queryset = filter_in(queryset, name, values).values_list(*fields)
    if connection.vendor != "postgresql":
        return list(queryset)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. .none(): no query
        return []
    with server_bound_cursor() as cursor:
        # Django's placeholders are all %s (a literal % is %%): %b binds in binary. The same
        # text every chunk: prepared, planned once per connection (not 3-4 ms per chunk).
        cursor.execute(sql.replace("%s", "%b"), params, prepare=True)
        return cursor.fetchall()


def bulk_update(model, objs: list, fields: list[str], *, increment: tuple[str, ...] = ()) -> None:
    """``model.objects.bulk_update(objs, fields)``; on PostgreSQL one
    ``UPDATE ... FROM unnest(arrays)`` per BATCH objects instead. Django's bulk_update builds
    a CASE WHEN expression per object and field: about 7 ms of Python per changed client (an
    update import ran at ~200 rows/s), and PostgreSQL then walks the CASE for every row.
    ``increment``: columns that each updated row adds 1 to, in SQL (a revision)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=BATCH)
        _increment(model, [obj.pk for obj in objs], increment)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    prep = [(c.attname, c.get_db_prep_save) for c in columns]
    rows = [tuple(save(getattr(obj, name), connection) for name, save in prep) for obj in objs]
    update_rows(model, fields, rows, increment=increment)


def update_rows(
    model, fields: list[str], rows: list[tuple], *, increment: tuple[str, ...] = ()
) -> None:
    """Set ``fields`` of the rows given as plain tuples ``(pk, value of each field)``, values as
    the database takes them (str, int, date, None). PostgreSQL: one ``UPDATE ... FROM
    unnest(arrays)`` per BATCH rows, the arrays built straight from the tuples. Elsewhere
    ``bulk_update`` of instances carrying only the pk and these fields. ``increment``: columns
    that each updated row adds 1 to, in SQL (a revision: a concurrent writer's bump is not
    lost)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = [model(pk=row[0], **dict(zip(fields, row[1:], strict=True))) for row in rows]
        model.objects.bulk_update(objs, fields, batch_size=BATCH)
        _increment(model, [row[0] for row in rows], increment)
        return
    sql = update_sql(model, fields, increment=increment)
    # Arrays bound on the server in binary: Django's cursor quotes them into the SQL text in
    # Python, about 45 ms per 2,000 clients, more than PostgreSQL takes for the update.
    with server_bound_cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            params = [list(column) for column in zip(*batch, strict=True)]
            cursor.execute(sql, params, prepare=True)  # the same text every chunk


def update_sql(model, fields: list[str], *, increment: tuple[str, ...] = ()) -> str:
    """``UPDATE table SET f = v.f, ..., i = table.i + 1 FROM unnest(%b::type[], ...) AS v(pk,
    f, ...) WHERE table.pk = v.pk``: one array parameter per column, the pk first (psycopg's
    ``%b``: bound on the server, in binary); ``i`` each column of ``increment``."""
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    qn = connection.ops.quote_name
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    # As Django's own UNNEST bulk insert: array types without length (no silent truncation).
    # %b: each array a binary parameter.
    arrays = ", ".join(f"%b::{c.db_type(connection).split('(')[0]}[]" for c in columns)
    assignments = [f"{qn(c.column)} = v.{qn(c.column)}" for c in columns[1:]]
    for name in increment:
        column = qn(meta.get_field(name).column)
        assignments.append(f"{column} = {table}.{column} + 1")
    return (
        f"UPDATE {table} SET "
        + ", ".join(assignments)
        + f" FROM unnest({arrays}) AS v({', '.join(qn(c.column) for c in columns)})"
        + f" WHERE {table}.{pk} = v.{pk}"
    )


def _increment(model, pks: list, names: tuple[str, ...]) -> None:
    """Add 1 to the columns ``names`` of the rows ``pks`` (the fallback of other databases)."""
    if not names:
        return
    for start in range(0, len(pks), BATCH):
        model.objects.filter(pk__in=pks[start : start + BATCH]).update(
            **{name: F(name) + 1 for name in names}
        )


def tune_import_transaction() -> None:
    """PostgreSQL: the import's transaction gets IMPORT_WORK_MEM of work_mem (SET LOCAL: it
    ends with the transaction). Each new client adds a few dozen entries to the GIN indexes of
    the name search (clients 0006, 0007); PostgreSQL gathers them in a pending list and merges
    it into the index in work_mem-sized batches while the import writes. Bigger batches, fewer
    merges: measured in docs/benchmarks.md (issue 6)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [policy("IMPORT_WORK_MEM")])
