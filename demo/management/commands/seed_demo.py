"""``python manage.py seed_demo [--clients N] [--seed S] [--today YYYY-MM-DD]``

Fills the database with realistic demo data: Chinese (and a few foreign) clients with valid
registration ids, sites and contacts, and certifications spread over every state.

- The first ``--walk`` clients (default 40) go through the real services with dates relative
  to ``--today``: genuine state history, audits, findings, decisions and certificates.
- The rest are written in chunks (``--chunk``, default 5,000), each in its own transaction, so
  memory stays flat up to a million clients and more (demo/bulk.py: the certifications through
  the certificates app's bulk service, with a revision and history rows of their own).

Running it again adds more clients (registration ids continue after the largest client pk).
The same ``--seed`` on the same database gives the same data.
"""

import datetime
import random
import resource
import sys
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction

from audits.models import Audit, Finding
from certificates.models import Certificate, Certification, Decision, State
from clients.models import Client, Contact, Site
from core.dates import local_today
from core.errors import DomainError
from demo.bulk import BulkWriter
from demo.people import ensure_people, load_standards
from demo.profiles import MAX_SERIAL, next_serial, profile_with_free_id
from demo.walker import SCENARIOS, Walker


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today: expected YYYY-MM-DD, got {value!r}") from None


def peak_rss_mb() -> float:
    """Peak resident memory of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Command(BaseCommand):
    help = "Create realistic demo clients and certifications (every state of the lifecycle)."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=60, help="How many clients to add.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help="The day the data is relative to (default: today in the body's time zone).",
        )
        parser.add_argument(
            "--walk",
            type=int,
            default=40,
            help="How many of the first clients go through the real services (default 40).",
        )
        parser.add_argument(
            "--chunk",
            type=int,
            default=5000,
            help="Clients per bulk chunk and transaction (default 5000).",
        )

    def handle(self, *args, clients, seed, today, walk, chunk, **options):
        if clients < 0 or walk < 0 or chunk < 1:
            raise CommandError("--clients and --walk must be >= 0, --chunk >= 1.")
        today = today or local_today()
        verbosity = options.get("verbosity", 1)
        # With DEBUG on, Django keeps the SQL of every query (9,000 of them, each a
        # multi-megabyte INSERT here): switch it off for the run.
        debug, settings.DEBUG = settings.DEBUG, False
        try:
            self._run(clients, seed, today, walk, chunk, verbosity)
        finally:
            settings.DEBUG = debug

    def _run(self, n, seed, today, walk, chunk, verbosity):
        started = time.monotonic()
        rng = random.Random(seed)
        try:
            people = ensure_people()
            standards = load_standards()
        except Exception as err:  # missing migrations: groups or standards absent
            raise CommandError(f"Run `manage.py migrate` first ({err}).") from err
        serial = next_serial()
        if serial + n + 2 * 300_000_000 > MAX_SERIAL:
            raise CommandError("Too many clients for the registration id scheme.")
        counts = Counter()
        n_walk = min(n, walk)
        self.stdout.write(
            f"Seeding {n:,} clients relative to {today.isoformat()} (seed {seed}): "
            f"{n_walk} through the services, {n - n_walk:,} in bulk chunks of {chunk:,}."
        )

        with Walker(rng=rng, today=today, people=people, standards=standards) as walker:
            for i in range(n_walk):
                profile = profile_with_free_id(rng, serial + i)
                scenario = SCENARIOS[i % len(SCENARIOS)]
                try:
                    cert = walker.walk(i, profile)
                except DomainError as err:
                    raise CommandError(f"scenario {scenario!r} failed: {err}") from err
                counts[cert.state] += 1
                if verbosity >= 2:
                    self.stdout.write(f"  {scenario:<24} -> {cert.state}  {cert.client}")
        if n_walk:
            self.stdout.write(
                f"  {n_walk} clients walked through the services in "
                f"{time.monotonic() - started:.1f} s"
            )

        writer = BulkWriter(rng=rng, today=today, people=people, standards=standards)
        done, chunks = n_walk, -(-(n - n_walk) // chunk)
        bulk_started = time.monotonic()
        for k in range(chunks):
            size = min(chunk, n - done)
            t0 = time.monotonic()
            with transaction.atomic():
                counts += writer.write(range(serial + done, serial + done + size))
            reset_queries()
            done += size
            if verbosity >= 1:
                elapsed = time.monotonic() - bulk_started
                rate = (done - n_walk) / elapsed if elapsed else 0
                self.stdout.write(
                    f"  chunk {k + 1}/{chunks}: {done:,}/{n:,} clients "
                    f"(+{size:,} in {time.monotonic() - t0:.1f} s, {rate:,.0f}/s), "
                    f"peak RSS {peak_rss_mb():.0f} MB"
                )

        self._analyze(verbosity)
        self._summary(n, counts, time.monotonic() - started)

    def _analyze(self, verbosity):
        """PostgreSQL: fresh statistics for every table after a bulk load. Without them (a
        server with autovacuum off, or before it comes round) the planner guesses: measured
        with 1 M certificates, the public number lookup was planned as a parallel scan for
        ~4,000 rows, 9 ms instead of 0.1 ms (docs/benchmarks.md, issue 4)."""
        if connection.vendor != "postgresql":
            return
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if verbosity >= 1:
            self.stdout.write(f"  ANALYZE: {time.monotonic() - t0:.1f} s")

    def _summary(self, n, counts, seconds):
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Added {n:,} clients in {seconds:.1f} s; peak RSS {peak_rss_mb():.0f} MB."
            )
        )
        out.write("Certifications added, by state:")
        for state in State:
            out.write(f"  {state.value:<17} {counts.get(state.value, 0):>10,}")
        out.write(f"  {'total':<17} {sum(counts.values()):>10,}")
        totals = ", ".join(
            f"{model.objects.count():,} {model._meta.verbose_name_plural}"
            for model in (Client, Site, Contact, Certification, Certificate, Decision, Audit)
        )
        out.write(f"The database now holds {totals}, {Finding.objects.count():,} findings.")
