#!/usr/bin/env python3
"""Benchmark: the daily reminder scan over 1,000,000 certifications (issue 5, "Performance").

    .venv/bin/python bench/reminder_scan.py --database-url postgres://postgres@127.0.0.1:5432/certbody_bench
        [--database-url postgres://.../certbody_benchsmall]   (a second database: compared)
        [--today 2026-12-02] [--repeat 3] [--explain 3] [--no-baseline]

Target: with 1,000,000 certifications in PostgreSQL the daily scan finds what is due in under
1 second of database time, with a number of queries that does not grow with the number of
certifications, and flat memory.

For each database (each in its own process, so memory figures are its own) the script:

1. counts the certifications, by state, and the audits, findings and reminders; warns if the
   database lacks migrations (a missing index would skew everything: run ``migrate`` first);
2. measures the baselines, in the same run: ``SELECT count(*)`` over the certifications table
   (one full scan) and the naive way, loading every active and suspended certification into
   Python and picking what is due there;
3. runs the whole daily scan, ``reminders.registry.scan_all(today=...)``, as the beat task
   does, with every registered scan (``reminders.registry.scans()``: new scans are measured
   without touching this script), once to warm up and ``--repeat`` times measured, each in a
   transaction that is ROLLED BACK: the database is left unchanged and every run does the
   same work;
4. times every round trip to PostgreSQL: statements (``connection.execute_wrapper``) and the
   FETCHes of the server-side cursors the scans stream through (psycopg ``ServerCursor``),
   and sorts them by scan and into
     find   reading what is due (certifications, audits, findings),
     write  the reminder rows: existing ones looked up and new ones inserted, per chunk,
     setup  recipients (users with permissions), content types;
5. runs the scan once more under tracemalloc for the peak Python memory, and reports the growth
   of resident memory (peak RSS, reset before the scan);
6. prints, per scan function: statements, fetches, rows found, reminders written, database
   milliseconds of find and write; then PASS or FAIL against the target (median find database
   time < 1 s) and the ratios to the baselines;
7. with ``--explain N``: EXPLAIN (ANALYZE, BUFFERS) of the N slowest find statements.

Queries are "fixed + per chunk": every scan issues a fixed set of statements, and per chunk of
CHUNK (1,000) rows found one FETCH and, if reminders are written, one lookup of existing rows and
the INSERTs. With two --database-url the script prints both side by side and checks that the
fixed statements are the same whatever the number of certifications.

The scan writes reminders only to users who would receive them; when the database has none
(a bare seed), the script adds a superuser with an email address inside the rolled-back
transaction, so the scans do their full work.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

from needs import need_postgres

ROOT = Path(__file__).resolve().parent.parent
MIN_CERTIFICATIONS = 1_000_000
TARGET_FIND_DB_S = 1.0  # issue 5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        action="append",
        default=[],
        help="PostgreSQL URL; repeat it to compare databases (default: DATABASE_URL)",
    )
    parser.add_argument("--today", default="2026-12-02", help="the scan's day (YYYY-MM-DD)")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs after a warm-up")
    parser.add_argument("--explain", type=int, default=0, help="EXPLAIN the N slowest finds")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    parser.add_argument(
        "--no-trace", action="store_true", help="skip the tracemalloc run (slow: ~7x the scan)"
    )
    parser.add_argument("--json-out", help=argparse.SUPPRESS)  # a child's results, for the parent
    opts = parser.parse_args(argv)
    if not opts.database_url and os.environ.get("DATABASE_URL"):
        opts.database_url = [os.environ["DATABASE_URL"]]
    if not opts.database_url or not all(u.startswith("postgres") for u in opts.database_url):
        parser.error("--database-url (or DATABASE_URL) must be PostgreSQL URL(s)")
    for url in opts.database_url:
        need_postgres(url)
    try:
        opts.today = datetime.date.fromisoformat(opts.today)
    except ValueError:
        parser.error("--today must be YYYY-MM-DD")
    if opts.repeat < 1:
        parser.error("--repeat must be at least 1")
    return opts


# ---------------------------------------------------------------------------------------------
# Machine
# ---------------------------------------------------------------------------------------------
def machine_facts() -> dict:
    model, mem = platform.processor() or "?", "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "mem": mem}


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _status_kb(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# Measuring round trips
# ---------------------------------------------------------------------------------------------
class RoundTrips:
    """Every round trip to PostgreSQL while active: statements through Django's
    execute_wrapper, and FETCHes of server-side cursors (psycopg ServerCursor.fetch*), which
    Django's execute_wrapper does not see. Each is attributed to the scan function on the
    stack (one of the registered scans) and a category from its SQL."""

    def __init__(self, scans):
        self.codes = {}
        for scan in scans:
            self.codes[getattr(scan, "__wrapped__", scan).__code__] = scan.__name__
            self.codes[scan.__code__] = scan.__name__
        self.trips = []  # dicts: scan, category, kind (statement/fetch), seconds, rows, sql
        self._cursors = {}  # id(psycopg cursor) -> (scan, category, sql)

    def _scan(self) -> str:
        frame = sys._getframe(2)
        while frame is not None:
            name = self.codes.get(frame.f_code)
            if name:
                return name
            frame = frame.f_back
        return "(outside the scans)"

    @staticmethod
    def category(sql: str) -> str:
        text = sql.lower()
        if "reminders_reminder" in text:
            return "write"
        if (
            "auth_" in text
            or "django_content_type" in text
            or text.startswith(("savepoint", "release", "rollback", "set ", "show "))
        ):
            return "setup"
        return "find"

    def execute_wrapper(self, execute, sql, params, many, context):
        scan = self._scan()
        category = self.category(sql)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - start
            raw = getattr(context.get("cursor"), "cursor", None)
            server_side = raw is not None and bool(getattr(raw, "name", None))
            if server_side:  # rows come with the FETCHes
                self._cursors[id(raw)] = (scan, category, sql)
            self.trips.append(
                {
                    "scan": scan,
                    "category": category,
                    "kind": "statement",
                    "seconds": seconds,
                    "rows": 0,
                    "sql": sql,
                    "params": params,
                    "cursor": server_side,
                }
            )

    def patch_server_cursor(self):
        """Time psycopg's ServerCursor fetches; returns a function that undoes it."""
        import psycopg

        originals = {}
        recorder = self

        def wrap(name):
            original = getattr(psycopg.ServerCursor, name)
            originals[name] = original

            def timed(cursor, *args, **kwargs):
                start = time.perf_counter()
                result = original(cursor, *args, **kwargs)
                seconds = time.perf_counter() - start
                scan, category, sql = recorder._cursors.get(
                    id(cursor), (recorder._scan(), "find", "")
                )
                rows = len(result) if isinstance(result, list) else int(result is not None)
                recorder.trips.append(
                    {
                        "scan": scan,
                        "category": category,
                        "kind": "fetch",
                        "seconds": seconds,
                        "rows": rows,
                        "sql": sql,
                        "params": None,
                        "cursor": True,
                    }
                )
                return result

            setattr(psycopg.ServerCursor, name, timed)

        for name in ("fetchmany", "fetchone", "fetchall"):
            wrap(name)

        def undo():
            for name, original in originals.items():
                setattr(psycopg.ServerCursor, name, original)

        return undo


def run_scan(today, *, record: bool, trace: bool, rerun: bool = False) -> dict:
    """One full daily scan in a transaction rolled back at the end. With ``rerun``, the scan
    runs twice in that transaction and the second is measured: every reminder already exists,
    as on the next day's run (the daily steady state), with the reminder table analyzed."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from reminders.recipients import DECIDE, MANAGE, recipient_ids
    from reminders.registry import scan_all, scans

    connection.ensure_connection()
    connection.set_autocommit(False)
    rec = RoundTrips(scans())
    added_user = False
    try:
        if not recipient_ids(MANAGE, DECIDE):
            get_user_model().objects.create_superuser(
                "bench-reminder-scan", "bench@example.invalid", None
            )
            added_user = True
        if rerun:
            scan_all(today=today)
            # As autovacuum would have done by the next day: the reminder table's statistics
            # (ANALYZE is transactional: rolled back with the rest).
            with connection.cursor() as cur:
                cur.execute("ANALYZE reminders_reminder")
        undo = rec.patch_server_cursor() if record else (lambda: None)
        rss_before = _status_kb("VmRSS")
        rss_reset = reset_peak_rss()
        if trace:
            tracemalloc.start()
        start = time.perf_counter()
        try:
            if record:
                with connection.execute_wrapper(rec.execute_wrapper):
                    result = scan_all(today=today)
            else:
                result = scan_all(today=today)
        finally:
            wall = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] if trace else None
            if trace:
                tracemalloc.stop()
            undo()
        rss_peak = _status_kb("VmHWM") if rss_reset else None
    finally:
        connection.rollback()
        connection.set_autocommit(True)
    return {
        "wall": wall,
        "created": {str(k): v for k, v in result.created.items()},
        "trips": rec.trips,
        "tracemalloc_peak": peak,
        "rss_growth_kb": (rss_peak - rss_before) if rss_reset and rss_before else None,
        "added_user": added_user,
    }


def summarise(trips) -> dict:
    """Per scan and category: statements, fetches, rows fetched, seconds."""
    per = defaultdict(lambda: defaultdict(float))
    for t in trips:
        p = per[t["scan"]]
        c = t["category"]
        p[f"{c}_{t['kind']}s"] += 1
        p[f"{c}_seconds"] += t["seconds"]
        p[f"{c}_rows"] += t["rows"]
    return {scan: dict(values) for scan, values in per.items()}


def totals(trips, category=None) -> dict:
    chosen = [t for t in trips if category is None or t["category"] == category]
    return {
        "seconds": sum(t["seconds"] for t in chosen),
        "statements": sum(t["kind"] == "statement" for t in chosen),
        "fetches": sum(t["kind"] == "fetch" for t in chosen),
        "rows": sum(t["rows"] for t in chosen),
    }


# ---------------------------------------------------------------------------------------------
# Facts and baselines
# ---------------------------------------------------------------------------------------------
def database_facts() -> dict:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    facts = {}
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        facts["postgres"] = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        facts["shared_buffers"] = cur.fetchone()[0]
        cur.execute(
            "SELECT current_database(), pg_size_pretty(pg_database_size(current_database()))"
        )
        facts["database"], facts["db_size"] = cur.fetchone()
        cur.execute(
            "SELECT state, count(*) FROM certificates_certification GROUP BY state ORDER BY 2 DESC"
        )
        facts["states"] = dict(cur.fetchall())
        for table in ("audits_audit", "audits_finding", "reminders_reminder"):
            cur.execute(f"SELECT count(*) FROM {table}")  # fixed table names
            facts[table] = cur.fetchone()[0]
    facts["certifications"] = sum(facts["states"].values())
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    facts["unapplied"] = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
    return facts


def baseline_count(repeat: int) -> float:
    """Median seconds of one full count of the certifications table."""
    from django.db import connection

    times = []
    with connection.cursor() as cur:
        for _ in range(repeat):
            start = time.perf_counter()
            cur.execute("SELECT count(*) FROM certificates_certification")
            cur.fetchone()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def naive_scan(today, *, trace: bool) -> dict:
    """The naive way: every active and suspended certification loaded into Python, and what is
    due picked there (surveillance due and overdue, expiry near or past, suspension deadline)."""
    from django.db import connection

    from certificates.models import Certification, State
    from core.policy import policy

    leads = max(policy("REMINDER_SURVEILLANCE_DUE_DAYS"), default=0)
    expiring = policy("REMINDER_CERTIFICATE_EXPIRING_DAYS")
    suspension = policy("REMINDER_SUSPENSION_DEADLINE_DAYS")
    db = []

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db.append(time.perf_counter() - start)

    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    with connection.execute_wrapper(timed):
        rows = list(
            Certification.objects.filter(state__in=[State.ACTIVE, State.SUSPENDED]).values_list(
                "pk", "state", "next_surveillance_due", "expiry_date", "suspension_deadline"
            )
        )
    due = 0
    for _pk, state, surveillance, expiry, deadline in rows:
        if state == State.ACTIVE and surveillance and (surveillance - today).days <= leads:
            due += 1
        if expiry and (expiry - today).days <= expiring:
            due += 1
        if state == State.SUSPENDED and deadline and (deadline - today).days <= suspension:
            due += 1
    wall = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    return {"wall": wall, "db": sum(db), "loaded": len(rows), "due": due, "peak": peak}


def explain(trips, count: int, today):
    """EXPLAIN (ANALYZE, BUFFERS) of the ``count`` slowest find statements (their time
    including their FETCHes), in a transaction rolled back. A statement the scan ran as a
    server-side cursor is explained as one (EXPLAIN DECLARE): PostgreSQL plans cursors for
    the first rows (cursor_tuple_fraction), which may differ from the plain SELECT's plan."""
    from django.db import connection

    by_sql = defaultdict(lambda: {"seconds": 0.0, "params": None, "scan": "", "cursor": False})
    for t in trips:
        if t["category"] != "find" or not t["sql"]:
            continue
        entry = by_sql[(t["scan"], t["sql"])]
        entry["seconds"] += t["seconds"]
        entry["scan"] = t["scan"]
        entry["cursor"] = entry["cursor"] or t["cursor"]
        if t["kind"] == "statement":
            entry["params"] = t["params"]
    slowest = sorted(by_sql.items(), key=lambda item: -item[1]["seconds"])[:count]
    # The planner settings the scan made for its transaction (SET LOCAL ...), made again here.
    settings = list(dict.fromkeys(t["sql"] for t in trips if t["sql"].lower().startswith("set ")))
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cur:
            for sql in settings:
                print(f"\n(as in the scan: {sql})")
                cur.execute(sql)
        for (_scan, sql), entry in slowest:
            print(
                f"\n--- {entry['scan']}: {entry['seconds'] * 1000:.1f} ms in the scan"
                + (" (a server-side cursor: explained as DECLARE)" if entry["cursor"] else "")
            )
            print(sql if len(sql) < 1500 else sql[:1500] + " ...")
            print(f"params: {entry['params']}")
            declare = "DECLARE bench_explain NO SCROLL CURSOR FOR " if entry["cursor"] else ""
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + declare + sql, entry["params"])
                for (line,) in cur.fetchall():
                    print("  " + line)
    finally:
        connection.rollback()
        connection.set_autocommit(True)


# ---------------------------------------------------------------------------------------------
# One database
# ---------------------------------------------------------------------------------------------
def measure(opts, url: str) -> dict:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "certbody.settings.local"),
        DJANGO_DEBUG="false",  # DEBUG keeps every query in memory: not what production does
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from reminders.registry import scans

    facts = database_facts()
    print(f"Database {facts['database']}: {facts['certifications']:,} certifications")
    for state, n in facts["states"].items():
        print(f"  {state:<18} {n:>10,}")
    print(
        f"  audits {facts['audits_audit']:,}, findings {facts['audits_finding']:,}, reminders "
        f"already written {facts['reminders_reminder']:,}; {facts['db_size']}, PostgreSQL "
        f"{facts['postgres']}, shared_buffers {facts['shared_buffers']}"
    )
    if facts["unapplied"]:
        print(
            "WARNING: unapplied migrations (indexes may be missing; run manage.py migrate): "
            + ", ".join(facts["unapplied"])
        )
    print(f"scans ({len(scans())}): " + ", ".join(s.__name__ for s in scans()))
    print(f"load average before: {load_average()}", flush=True)

    result = {"url": url, "facts": facts, "today": opts.today.isoformat()}
    result["count_seconds"] = baseline_count(3)
    print(f"baseline SELECT count(*) full table: {result['count_seconds'] * 1000:.1f} ms")

    warm = run_scan(opts.today, record=False, trace=False)
    print(f"warm-up scan: {warm['wall'] * 1000:.0f} ms wall", flush=True)
    if warm["added_user"]:
        print("(no recipient in the database: a superuser was added inside each rolled-back run)")
    runs = []
    for i in range(opts.repeat):
        run = run_scan(opts.today, record=True, trace=False)
        find = totals(run["trips"], "find")
        every = totals(run["trips"])
        print(
            f"run {i + 1}: wall {run['wall'] * 1000:7.0f} ms, database "
            f"{every['seconds'] * 1000:7.1f} ms (find {find['seconds'] * 1000:.1f} ms), "
            f"{every['statements']} statements + "
            f"{every['fetches']} fetches, {sum(run['created'].values()):,} reminders (rolled back)",
            flush=True,
        )
        runs.append(run)
    again = run_scan(opts.today, record=True, trace=False, rerun=True)
    result["rerun"] = {
        "wall": again["wall"],
        "find": totals(again["trips"], "find"),
        "write": totals(again["trips"], "write"),
        "all": totals(again["trips"]),
        "created": sum(again["created"].values()),
    }
    print(f"rerun (reminders exist): {again['wall'] * 1000:.0f} ms wall", flush=True)
    result["tracemalloc_peak"] = result["rss_growth_kb"] = result["traced_wall"] = None
    if not opts.no_trace:
        traced = run_scan(opts.today, record=False, trace=True)
        result["tracemalloc_peak"] = traced["tracemalloc_peak"]
        result["rss_growth_kb"] = traced["rss_growth_kb"]
        result["traced_wall"] = traced["wall"]
        print(f"traced scan: {traced['wall'] * 1000:.0f} ms wall", flush=True)

    median_run = sorted(runs, key=lambda r: totals(r["trips"], "find")["seconds"])[len(runs) // 2]
    result["runs"] = [
        {
            "wall": r["wall"],
            "db": totals(r["trips"])["seconds"],
            "find": totals(r["trips"], "find"),
            "write": totals(r["trips"], "write"),
            "setup": totals(r["trips"], "setup"),
            "all": totals(r["trips"]),
        }
        for r in runs
    ]
    result["median"] = {
        "wall": median_run["wall"],
        "per_scan": summarise(median_run["trips"]),
        "created": median_run["created"],
        "find": totals(median_run["trips"], "find"),
        "write": totals(median_run["trips"], "write"),
        "setup": totals(median_run["trips"], "setup"),
        "all": totals(median_run["trips"]),
    }
    if not opts.no_baseline:
        naive = naive_scan(opts.today, trace=False)
        naive["peak"] = naive_scan(opts.today, trace=True)["peak"]
        result["naive"] = naive
    if opts.explain:
        explain(median_run["trips"], opts.explain, opts.today)
    return result


def report(opts, r: dict) -> bool:
    facts, m = r["facts"], r["median"]
    machine = machine_facts()
    print()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {machine['nproc']} cores "
        f"({machine['cpu']}), {machine['mem']} RAM; PostgreSQL {facts['postgres']}; database "
        f"{facts['database']}: {facts['certifications']:,} certifications, {facts['db_size']}"
    )
    print(
        f"scan_all(today={r['today']}) with {len(m['per_scan'])} scan functions, "
        f"{opts.repeat} measured runs after a warm-up, each rolled back; the median run "
        "(by find database time):"
    )
    print()
    head = (
        f"{'scan':<26} {'stmts':>5} {'fetch':>5} {'rows found':>10} {'find ms':>8} "
        f"{'write q':>7} {'write ms':>8} {'setup q':>7} {'written':>8}"
    )
    print(head)
    print("-" * len(head))
    from reminders.registry import scans
    from reminders.writing import CHUNK

    names = [scan.__name__ for scan in scans()]
    names += sorted(set(m["per_scan"]) - set(names))  # scan_all's own savepoint
    for name in names:
        p = m["per_scan"].get(name, {})
        print(
            f"{name:<26} {p.get('find_statements', 0):>5.0f} "
            f"{p.get('find_fetchs', 0):>5.0f} {p.get('find_rows', 0):>10,.0f} "
            f"{p.get('find_seconds', 0) * 1000:>8.1f} "
            f"{p.get('write_statements', 0):>7.0f} {p.get('write_seconds', 0) * 1000:>8.1f} "
            f"{p.get('setup_statements', 0):>7.0f} {'':>8}"
        )
    f, w, s, a = m["find"], m["write"], m["setup"], m["all"]
    print("-" * len(head))
    print(
        f"{'total':<26} {f['statements']:>5} {f['fetches']:>5} {f['rows']:>10,} "
        f"{f['seconds'] * 1000:>8.1f} {w['statements']:>7} {w['seconds'] * 1000:>8.1f} "
        f"{s['statements']:>7} {sum(m['created'].values()):>8,}"
    )
    print(
        "(stmts/fetch: find statements and server-side cursor FETCHes; write q: lookups of "
        "existing reminders and INSERTs; setup q: recipients and content types)"
    )
    print()
    print("reminders written per kind (rolled back):")
    for kind, n in sorted(m["created"].items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<34} {n:>8,}")
    fixed = f["statements"] + s["statements"]
    per_chunk = f["fetches"] + w["statements"]
    print()
    print(
        f"queries: {a['statements'] + a['fetches']} round trips = {fixed} fixed statements "
        f"(find + setup) + {per_chunk} per chunk of {CHUNK} rows ({f['fetches']} "
        f"FETCHes, {w['statements']} reminder lookups and INSERTs)"
    )
    walls = [x["wall"] for x in r["runs"]]
    finds = [x["find"]["seconds"] for x in r["runs"]]
    dbs = [x["db"] for x in r["runs"]]
    print(
        f"wall: median {statistics.median(walls) * 1000:.0f} ms (runs: "
        + ", ".join(f"{x * 1000:.0f}" for x in walls)
        + ")"
    )
    print(
        f"database time, whole scan: median {statistics.median(dbs) * 1000:.1f} ms; finding what "
        f"is due: median {statistics.median(finds) * 1000:.1f} ms (runs: "
        + ", ".join(f"{x * 1000:.1f}" for x in finds)
        + f"); writing {w['seconds'] * 1000:.1f} ms; setup {s['seconds'] * 1000:.1f} ms"
    )
    again = r["rerun"]
    print(
        f"same day again, every reminder already written (the daily steady state): wall "
        f"{again['wall'] * 1000:.0f} ms, database {again['all']['seconds'] * 1000:.1f} ms (find "
        f"{again['find']['seconds'] * 1000:.1f} ms, write {again['write']['seconds'] * 1000:.1f}"
        f" ms), {again['all']['statements']} statements + {again['all']['fetches']} fetches, "
        f"{again['created']} written"
    )
    peak = r["tracemalloc_peak"]
    rss = r["rss_growth_kb"]
    if peak is not None:
        print(
            f"memory: tracemalloc peak {peak / 1024 / 1024:.1f} MB during the scan"
            + (f", peak RSS growth {rss / 1024:.1f} MB" if rss is not None else "")
            + f" (traced run {r['traced_wall'] * 1000:.0f} ms wall)"
        )
    print()
    find_median = statistics.median(finds)
    print(
        f"baseline SELECT count(*) over {facts['certifications']:,} certifications: "
        f"{r['count_seconds'] * 1000:.1f} ms; finding what is due costs "
        f"{find_median / r['count_seconds']:.2f} x that"
    )
    if "naive" in r:
        n = r["naive"]
        print(
            f"baseline naive (load {n['loaded']:,} active and suspended certifications into "
            f"Python, pick the {n['due']:,} due there): {n['wall'] * 1000:.0f} ms wall, "
            f"{n['db'] * 1000:.0f} ms database, tracemalloc peak {n['peak'] / 1024 / 1024:.1f} MB"
        )
        print(
            f"  the naive way takes {n['db'] / find_median:.2f} x the scan's find database time"
            + (f" and {n['peak'] / peak:.1f} x its peak memory" if peak else "")
        )
    print(f"load average after: {load_average()}")
    print()
    passed = find_median < TARGET_FIND_DB_S
    condition = facts["certifications"] >= MIN_CERTIFICATIONS
    print(
        f"  {'PASS' if passed else 'FAIL'}  finding what is due < {TARGET_FIND_DB_S:.0f} s of "
        f"database time: {find_median * 1000:.1f} ms (median)"
        + ("" if condition else f"  [only {facts['certifications']:,} certifications: < 1 M]")
    )
    return passed


def compare(results: list[dict]) -> bool:
    """Side by side: fixed statements must not depend on the number of certifications."""
    print()
    print("=" * 78)
    print("Comparison (median runs):")
    head = f"{'':<34}" + "".join(f"{r['facts']['database'][:20]:>22}" for r in results)
    print(head)

    def row(label, values):
        print(f"{label:<34}" + "".join(f"{v:>22}" for v in values))

    row("certifications", [f"{r['facts']['certifications']:,}" for r in results])
    row(
        "fixed statements (find + setup)",
        [r["median"]["find"]["statements"] + r["median"]["setup"]["statements"] for r in results],
    )
    row("  of which find", [r["median"]["find"]["statements"] for r in results])
    row("FETCHes (per chunk found)", [r["median"]["find"]["fetches"] for r in results])
    row("rows found", [f"{r['median']['find']['rows']:,}" for r in results])
    row("write queries (per chunk)", [r["median"]["write"]["statements"] for r in results])
    row("reminders written", [f"{sum(r['median']['created'].values()):,}" for r in results])
    row(
        "find database ms (median)",
        [
            f"{statistics.median(x['find']['seconds'] for x in r['runs']) * 1000:.1f}"
            for r in results
        ],
    )
    row(
        "whole scan database ms (median)",
        [f"{statistics.median(x['db'] for x in r['runs']) * 1000:.1f}" for r in results],
    )
    row(
        "wall ms (median)",
        [f"{statistics.median(x['wall'] for x in r['runs']) * 1000:.0f}" for r in results],
    )
    row(
        "tracemalloc peak MB",
        [f"{(r['tracemalloc_peak'] or 0) / 2**20:.1f}" for r in results],
    )
    row("per-scan fixed statements", ["" for _ in results])
    scans = {}
    for r in results:
        for name, p in r["median"]["per_scan"].items():
            scans.setdefault(name, []).append(p)
    same = True
    for name, ps in scans.items():
        counts = [p.get("find_statements", 0) + p.get("setup_statements", 0) for p in ps]
        if len(counts) == len(results) and len(set(counts)) > 1:
            same = False
        row(f"  {name}", [f"{c:.0f}" for c in counts])
    fixed = {
        r["median"]["find"]["statements"] + r["median"]["setup"]["statements"] for r in results
    }
    same = same and len(fixed) == 1
    print(
        f"\n  {'PASS' if same else 'FAIL'}  fixed statements independent of the number of "
        "certifications"
    )
    return same


def main(argv=None):
    opts = parse_args(argv)
    if opts.json_out or len(opts.database_url) == 1:
        result = measure(opts, opts.database_url[0])
        ok = report(opts, result)
        if opts.json_out:
            Path(opts.json_out).write_text(json.dumps(result, default=str))
        return 0 if ok else 1
    # Several databases: one child process each (Django binds one database per process, and
    # each child's memory figures are its own), then the comparison.
    results, ok = [], True
    with tempfile.TemporaryDirectory() as tmp:
        for i, url in enumerate(opts.database_url):
            out = Path(tmp) / f"{i}.json"
            args = [sys.executable, __file__, "--database-url", url, "--json-out", str(out)]
            args += ["--today", opts.today.isoformat(), "--repeat", str(opts.repeat)]
            args += ["--explain", str(opts.explain)]
            args += ["--no-baseline"] if opts.no_baseline else []
            args += ["--no-trace"] if opts.no_trace else []
            print(f"### {url}", flush=True)
            code = subprocess.run(args, cwd=ROOT, check=False).returncode
            if not out.exists():
                print(f"the run against {url} failed (exit {code})")
                return 2
            ok = ok and code == 0
            results.append(json.loads(out.read_text()))
    same = compare(results)
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main())
