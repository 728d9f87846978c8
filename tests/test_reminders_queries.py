"""The daily scan's queries (issue 5, "Performance"): a fixed number of statements, plus a fixed
number per chunk of CHUNK rows that are due, whatever the number of certifications.

Certifications are bulk-created straight into the table with the dates the scans read (no
lifecycle): what matters here is how many rows there are, not how they got there. CHUNK is
made small so that a few rows make several chunks. On PostgreSQL the scans stream through
server-side cursors whose FETCHes (one per chunk) Django does not record; the statements
counted here are those Django executes. bench/reminder_scan.py measures both on 1,000,000
certifications.
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.models import Certification, State
from reminders import writing
from reminders.models import Reminder
from reminders.registry import scan_all
from tests.factories import ClientFactory, standard

D = datetime.date
TODAY = D(2026, 12, 2)
FAR = D(2029, 6, 30)  # nothing is due for years: surveillance, expiry
CHUNK = 4


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(writing, "CHUNK", CHUNK)


def _certifications(n: int, *, surveillance_due: datetime.date) -> list[Certification]:
    """``n`` active certifications with the next surveillance due on ``surveillance_due``,
    expiring far in the future."""
    iso20000 = standard()
    return Certification.objects.bulk_create(
        Certification(
            client=client,
            standard=iso20000,
            state=State.ACTIVE,
            scope="IT service management",
            certificate_number=f"Q-{client.pk}",
            cycle_start=D(2026, 1, 15),
            expiry_date=FAR,
            next_surveillance_due=surveillance_due,
        )
        for client in ClientFactory.create_batch(n)
    )


def _about_certifications():
    """Reminders about certifications (not e.g. the monthly CertSearch upload)."""
    return Reminder.objects.filter(content_type=ContentType.objects.get_for_model(Certification))


def _queries() -> tuple[int, int]:
    """Statements of one full daily scan on TODAY, starting from no reminders (after a first
    scan that fills the per-process caches, e.g. content types): (finding, writing), writing
    being the statements on the reminder table (existing rows looked up, new ones inserted)."""
    Reminder.objects.all().delete()
    scan_all(today=TODAY)
    Reminder.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        scan_all(today=TODAY)
    writing = sum(Reminder._meta.db_table in query["sql"] for query in ctx)
    return len(ctx) - writing, writing


def test_nothing_due_costs_the_same_for_5_and_50_certifications(db, people, small_chunks):
    _certifications(5, surveillance_due=FAR)
    five = _queries()
    _certifications(45, surveillance_due=FAR)
    assert Certification.objects.count() == 50
    assert _queries() == five  # 50 rows are 13 chunks of 4: none of them costs a query
    assert not _about_certifications().exists()


def test_due_rows_cost_a_fixed_number_of_queries_per_chunk(db, people, small_chunks):
    """Finding costs the same statements however many rows are due; writing costs, for each
    kind, one lookup per chunk of CHUNK subjects and one INSERT per CHUNK reminders."""
    overdue = TODAY - datetime.timedelta(days=20)
    finding, writing = _queries()
    for chunks in (1, 2, 3):
        _certifications(CHUNK, surveillance_due=overdue)
        found, written = _queries()
        assert found == finding
        reminded = _about_certifications()
        kinds = reminded.values("kind").distinct().count()
        assert kinds >= 1
        assert reminded.values("object_id").distinct().count() == chunks * CHUNK
        assert written - writing == kinds * chunks + reminded.count() // CHUNK
    # Certifications not due add rows, not queries.
    _certifications(3 * CHUNK, surveillance_due=FAR)
    assert _queries() == (found, written)
