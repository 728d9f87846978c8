"""The app's PostgreSQL sessions run without JIT compilation (certbody/settings/base.py)."""

import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_sessions_do_not_jit_compile_queries(_require_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
