#!/usr/bin/env python3
"""Benchmark: the public verification pages under load (issue 4, "Performance").

    .venv/bin/python bench/public_lookup.py --database-url postgres://postgres@127.0.0.1:5432/certbody_bench
        [--duration 30] [--workers N] [--worker-class gthread|sync] [--threads T]
        [--connections C] [--only bare,lookup,zh,latin] [--allow-small]

Against a PostgreSQL database holding at least 1,000,000 certificates (seed it with
``manage.py seed_demo --clients 1350000 --walk 0``; --allow-small to try the pipeline on less):

1. counts the certificates (refuses fewer than 1,000,000 unless --allow-small) and migrates;
2. samples random certificates' printed numbers (CB-ITSM-000042-V1) and, from real client
   names, Chinese substrings of 2-3 characters and Latin substrings of 4-8 letters, into files
   under var/bench/ read by the wrk scripts bench/lookup.lua and bench/search.lua;
3. starts gunicorn on a free port of 127.0.0.1 (settings bench.settings: DEBUG off, Redis cache
   db 2 shared by the workers, rate limiting on with a limit far above the load);
4. warms up, then runs wrk (--latency) against, in the same run:
   bare   /bench/bare/        a Django view doing no database work (the baseline)
   lookup /verify/<number>/   a random certificate per request
   zh     /verify/?q=<text>   a random Chinese name substring per request
   latin  /verify/?q=<text>   a random Latin name substring per request
5. prints requests/s and latency percentiles of each, their ratio to the bare view, and PASS or
   FAIL against the targets (lookup >= 1,000 requests/s with p99 < 50 ms; search p95 < 100 ms).

Exits non-zero if any response was not 200 (or a request failed on the socket). gunicorn is
stopped at the end, also on errors and Ctrl-C. The load generator runs on the same machine, as
the issue asks: wrk and PostgreSQL share the cores with gunicorn.
"""

import argparse
import os
import platform
import random
import re
import runpy
import signal
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from needs import need_postgres, need_tool

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = ROOT / "var" / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
WRK = "wrk"  # on PATH: bench/needs.py checks it is there, and says how to install it
MIN_CERTIFICATES = 1_000_000

# Issue 4 targets.
LOOKUP_MIN_RPS = 1000
LOOKUP_MAX_P99_MS = 50
SEARCH_MAX_P95_MS = 100

SCENARIOS = {
    # name: (wrk script, data file, label)
    "bare": ("bare.lua", "bare.txt", "bare view (no DB)"),
    "lookup": ("lookup.lua", "numbers.txt", "number lookup"),
    "zh": ("search.lua", "search_zh.txt", "search, Chinese"),
    "latin": ("search.lua", "search_latin.txt", "search, Latin"),
}


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--duration", type=int, default=30, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per scenario")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--worker-class", choices=["gthread", "sync"], default=None, help="(gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="threads per gthread worker (gunicorn.conf.py's)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--search-connections",
        type=int,
        default=2,
        help="wrk connections for the name searches (default 2: one per core, so p95 is the\n"
        "latency of a search, not of a queue of 16 searches on 2 cores)",
    )
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=20000, help="numbers and names sampled")
    parser.add_argument("--only", default="bare,lookup,zh,latin", help="scenarios to run")
    parser.add_argument("--allow-small", action="store_true", help="accept < 1,000,000 certs")
    parser.add_argument("--no-migrate", action="store_true")
    parser.add_argument("--seed", type=int, default=4, help="random seed for the samples")
    opts = parser.parse_args()
    opts.only = [s.strip() for s in opts.only.split(",") if s.strip()]
    unknown = set(opts.only) - set(SCENARIOS)
    if unknown:
        parser.error(f"--only: unknown scenario(s) {', '.join(sorted(unknown))}")
    if not opts.database_url.startswith("postgres"):
        parser.error("--database-url (or DATABASE_URL) must be a PostgreSQL URL")
    need_tool("wrk", "the load generator that drives the public pages")
    need_postgres(opts.database_url)
    # gunicorn is configured as deployed (gunicorn.conf.py in the project root); the options
    # above override it for an experiment.
    deployed = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    for name in ("workers", "worker_class", "threads"):
        if getattr(opts, name) is None:
            setattr(opts, name, deployed[name])
    return opts


def bench_env(opts) -> dict:
    return dict(
        os.environ,
        DATABASE_URL=opts.database_url,
        CACHE_URL=opts.cache_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        CERTBODY_PUBLIC_RATE_LIMIT="100000000/m",
        RATELIMIT_ENABLE="true",
        PYTHONPATH=str(ROOT),
    )


# ---------------------------------------------------------------------------------------------
# Database: count, migrate, sample
# ---------------------------------------------------------------------------------------------
def setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def check_and_migrate(opts) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from certificates.models import Certificate

    facts = {}
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        facts["postgres"] = cur.fetchone()[0]
    count = Certificate.objects.count()
    facts["certificates"] = count
    print(f"Certificates in the database: {count:,}")
    if count < MIN_CERTIFICATES:
        msg = (
            f"The benchmark needs at least {MIN_CERTIFICATES:,} certificates; this database has "
            f"{count:,}. Seed it first, e.g.\n"
            f"  DATABASE_URL={opts.database_url} .venv/bin/python manage.py seed_demo "
            f"--clients 1350000 --walk 0\n(about 1.35 M clients give 1 M certificates), or pass "
            f"--allow-small to try the pipeline on a small database."
        )
        if not opts.allow_small:
            sys.exit(msg)
        print("--allow-small: running anyway; the figures do NOT meet the issue's conditions.")
    if not opts.no_migrate:
        t0 = time.monotonic()
        call_command("migrate", verbosity=1, interactive=False)
        print(f"migrate: {time.monotonic() - t0:.1f} s")
    # A production database has planner statistics (autovacuum analyses every table it
    # writes); a freshly seeded one may have none, on a server with autovacuum off or before it
    # comes round. Without them PostgreSQL plans the number lookup as a parallel scan for
    # thousands of rows: 9 ms instead of 0.1 ms. Analyse the tables that never were.
    t0 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT format('%%I.%%I', schemaname, relname) FROM pg_stat_user_tables "
            "WHERE last_analyze IS NULL AND last_autoanalyze IS NULL AND n_live_tup > 0 "
            "ORDER BY 1"
        )
        never = [name for (name,) in cur.fetchall()]
        for name in never:
            cur.execute(f"ANALYZE {name}")  # quoted by format('%I')
    facts["analyze"] = (
        f"ANALYZE of {len(never)} never-analysed tables" if never else "statistics present"
    )
    print(f"{facts['analyze']} ({time.monotonic() - t0:.1f} s)")
    # A production database server keeps the tables the public pages read in memory; a freshly
    # seeded one has them on disk, and a random lookup then waits for 4 disk reads. Read them
    # once into the OS page cache (pg_prewarm 'read', a contrib extension) before measuring.
    t0 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cur.execute(
            "SELECT coalesce(sum(pg_prewarm(c.oid, 'read')), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' "
            "WHERE c.relkind IN ('r', 'i') AND (c.relname LIKE 'certificates_certificate%%' "
            "OR c.relname LIKE 'certificates_certification%%' OR c.relname LIKE 'clients_client%%' "
            "OR c.relname LIKE 'clients_standard%%')"
        )
        blocks = cur.fetchone()[0]
    facts["prewarm"] = f"{blocks * 8 / 1024:,.0f} MB read into the OS cache by pg_prewarm"
    print(f"{facts['prewarm']} in {time.monotonic() - t0:.1f} s")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        facts["db_size"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM clients_client")
        facts["clients"] = cur.fetchone()[0]
    return facts


CJK = re.compile(r"[\u3400-\u9fff]+")
LATIN = re.compile(r"[A-Za-z]{4,}")


def chinese_slice(rng, name: str) -> str | None:
    runs = [r for r in CJK.findall(name) if len(r) >= 2]
    if not runs:
        return None
    run = rng.choice(runs)
    size = min(rng.choice((2, 3)), len(run))
    start = rng.randrange(len(run) - size + 1)
    return run[start : start + size]


def latin_slice(rng, name: str) -> str | None:
    words = LATIN.findall(unicodedata.normalize("NFKC", name))
    if not words:
        return None
    word = rng.choice(words)
    size = rng.randint(4, min(8, len(word)))
    start = rng.randrange(len(word) - size + 1)
    return word[start : start + size]


def sample(opts) -> dict:
    """Random certificates (their printed numbers) and their clients' names, in one query."""
    from django.db import connection

    t0 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [opts.seed / 1000])
        cur.execute(
            "SELECT c.number, c.version, cl.legal_name, cl.english_name "
            "FROM certificates_certificate c "
            "JOIN certificates_certification n ON n.id = c.certification_id "
            "JOIN clients_client cl ON cl.id = n.client_id "
            "ORDER BY random() LIMIT %s",
            [opts.samples],
        )
        rows = cur.fetchall()
    rng = random.Random(opts.seed)
    numbers = [f"{number}-V{version}" for number, version, _, _ in rows]
    zh, latin = [], []
    for _, _, legal, english in rows:
        for name in (legal, english):
            if (text := chinese_slice(rng, name or "")) is not None:
                zh.append(text)
            if (text := latin_slice(rng, name or "")) is not None:
                latin.append(text)
    OUT.mkdir(parents=True, exist_ok=True)
    files = {
        "bare.txt": ["/bench/bare/"],
        "numbers.txt": numbers,
        "search_zh.txt": zh,
        "search_latin.txt": latin,
    }
    for name, lines in files.items():
        (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"Sampled in {time.monotonic() - t0:.1f} s: {len(numbers):,} numbers, "
        f"{len(zh):,} Chinese and {len(latin):,} Latin substrings (files in {OUT}); e.g. "
        f"{numbers[0] if numbers else '-'}, {' '.join(zh[:4])}, {' '.join(latin[:4])}"
    )
    return files


# ---------------------------------------------------------------------------------------------
# gunicorn
# ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(opts, env, port) -> subprocess.Popen:
    log = open(OUT / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    args = [
        str(VENV_BIN / "gunicorn"),
        "certbody.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(opts.workers),
        "--worker-class",
        opts.worker_class,
        "--chdir",
        str(ROOT),
    ]
    if opts.worker_class == "gthread":
        args += ["--threads", str(opts.threads)]
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc.log = log
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/bench/bare/"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {OUT / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer in 60 s; see {OUT / 'gunicorn.log'}")
        time.sleep(0.3)


def stop_gunicorn(proc: subprocess.Popen | None):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
    proc.log.close()


# ---------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------
def preflight(port, files) -> list[str]:
    """Fetch one path of each scenario; return the problems (a page not answering 200)."""
    problems = []
    examples = {
        "bare": files["bare.txt"][0],
        "lookup": f"/verify/{urllib.parse.quote(files['numbers.txt'][0])}/",
        "zh": f"/verify/?q={urllib.parse.quote(files['search_zh.txt'][0])}",
        "latin": f"/verify/?q={urllib.parse.quote(files['search_latin.txt'][0])}",
    }
    for name, path in examples.items():
        url = f"http://127.0.0.1:{port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                status, size = r.status, len(r.read())
        except urllib.error.HTTPError as err:
            status, size = err.code, len(err.read())
        print(f"  preflight {name:<6} {status} {size:>7,} bytes  {urllib.parse.unquote(path)}")
        if status != 200:
            problems.append(f"{name}: {path} answered {status}")
    return problems


def run_wrk(opts, port, scenario, seconds, save=True) -> dict:
    script, data, _ = SCENARIOS[scenario]
    connections = opts.search_connections if scenario in ("zh", "latin") else opts.connections
    args = [
        WRK,
        f"-t{min(opts.wrk_threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(BENCH / script),
        f"http://127.0.0.1:{port}",
        "--",
        str(OUT / data),
    ]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    if save:
        (OUT / f"wrk_{scenario}.txt").write_text(" ".join(args) + "\n\n" + out.stdout)
    result = {"statuses": {}, "connections": connections}
    for key, value in re.findall(r"^BENCH (\S+) (\S+)$", out.stdout, re.M):
        if key.startswith("status_"):
            result["statuses"][int(key[7:])] = int(value)
        else:
            result[key] = float(value)
    result["non200"] = sum(n for s, n in result["statuses"].items() if s != 200)
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def machine_facts() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "mem": mem, "node": platform.node()}


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def busy_warning() -> str | None:
    """Other work on the machine skews every figure: say so before measuring."""
    try:
        one_minute = float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        return None
    if one_minute > 0.5:
        return (
            f"WARNING: load average {one_minute:.2f} before the run: other processes are using "
            "the CPU and will lower these figures; measure on a quiet machine."
        )
    return None


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def report(opts, facts, results) -> bool:
    machine = machine_facts()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print()
    print(
        f"{when}  {machine['nproc']} cores ({machine['cpu']}), "
        f"{machine['mem']} RAM; PostgreSQL {facts['postgres']}, database "
        f"{facts['certificates']:,} certificates, {facts['clients']:,} clients, "
        f"{facts['db_size']}; {facts['analyze']}; {facts['prewarm']}"
    )
    print(
        f"gunicorn {opts.workers} {opts.worker_class} workers"
        + (f" x {opts.threads} threads" if opts.worker_class == "gthread" else "")
        + f"; wrk -d{opts.duration}s on the same machine, connections per scenario below; "
        "rate limiting on (Redis cache, counts sent every "
        f"{os.environ.get('RATELIMIT_SYNC_INTERVAL', '0.1')} s at most)"
    )
    print(f"load average before: {facts['load_before']}; after: {load_average()}")
    if facts.get("busy"):
        print(facts["busy"])
    print()
    head = (
        f"{'scenario':<18} {'conns':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'KB/resp':>7} {'bare/x rps':>10} {'non-200':>7}"
    )
    print(head)
    print("-" * len(head))
    bare = results.get("bare")
    for name, r in results.items():
        ratio = f"{bare['rps'] / r['rps']:.2f}" if bare and r["rps"] else "-"
        per = r["bytes"] / r["requests"] / 1024 if r["requests"] else 0
        print(
            f"{SCENARIOS[name][2]:<18} {r['connections']:>5} "
            f"{r['requests']:>9,.0f} {r['rps']:>8,.0f} "
            f"{ms(r['p50']):>7} {ms(r['p95']):>7} {ms(r['p99']):>7} {ms(r['max']):>7} "
            f"{per:>7.1f} {ratio:>10} {r['non200'] + r['socket_errors']:>7,.0f}"
        )
    print("(bare/x rps: the bare view's requests/s divided by the page's: what the page costs)")
    print()
    ok = True
    checks = []
    if "lookup" in results:
        r = results["lookup"]
        checks.append(
            (f"lookup >= {LOOKUP_MIN_RPS:,} req/s", r["rps"] >= LOOKUP_MIN_RPS, f"{r['rps']:,.0f}")
        )
        checks.append(
            (
                f"lookup p99 < {LOOKUP_MAX_P99_MS} ms",
                r["p99"] < LOOKUP_MAX_P99_MS * 1000,
                f"{ms(r['p99'])} ms",
            )
        )
    for name in ("zh", "latin"):
        if name in results:
            r = results[name]
            checks.append(
                (
                    f"{SCENARIOS[name][2]} p95 < {SEARCH_MAX_P95_MS} ms",
                    r["p95"] < SEARCH_MAX_P95_MS * 1000,
                    f"{ms(r['p95'])} ms",
                )
            )
    for label, passed, value in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label:<32} {value}")
    for name, r in results.items():
        bad = {s: n for s, n in r["statuses"].items() if s != 200}
        if bad or r["socket_errors"]:
            ok = False
            print(
                f"  ERROR {name}: non-200 responses {bad or '{}'}, "
                f"socket errors/timeouts {r['socket_errors']:.0f} (see {OUT}/wrk_{name}.txt)"
            )
    if ok:
        print("  every response was 200")
    return ok


def main():
    opts = parse_args()
    env = bench_env(opts)
    setup_django(env)
    facts = check_and_migrate(opts)
    files = sample(opts)
    from django.db import connections

    connections.close_all()

    # Ctrl-C and SIGTERM both unwind through the finally below, which stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    facts["load_before"] = load_average()
    facts["busy"] = busy_warning()
    if facts["busy"]:
        print(facts["busy"])
    proc = None
    results = {}
    try:
        port = free_port()
        proc = start_gunicorn(opts, env, port)
        print(f"gunicorn up on 127.0.0.1:{port} (pid {proc.pid}, log {OUT / 'gunicorn.log'})")
        problems = preflight(port, files)
        problems = [p for p in problems if p.split(":")[0] in opts.only]
        if problems:
            print("Stopping before the load: " + "; ".join(problems))
            return 2
        for name in opts.only:
            print(f"warm-up {name} ({opts.warmup} s)", flush=True)
            run_wrk(opts, port, name, opts.warmup, save=False)
        for name in opts.only:
            print(f"measuring {name} ({opts.duration} s)", flush=True)
            results[name] = run_wrk(opts, port, name, opts.duration)
    finally:
        stop_gunicorn(proc)
    ok = report(opts, facts, results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
