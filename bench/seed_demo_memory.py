#!/usr/bin/env python3
"""Benchmark: seed_demo's memory stays flat as N grows (so N = 1,000,000 fits).

Runs ``manage.py seed_demo --walk 0`` into a fresh database twice in the same run: a
baseline of N clients and then 10 x N, each in its own process, and prints clients/s and peak
resident memory of each and their ratios. Flat memory means a ratio near 1.0.

    python bench/seed_demo_memory.py [--clients 20000] [--database-url postgres://...]

Without --database-url (or DATABASE_URL) it uses a temporary SQLite file. With a PostgreSQL
URL it creates and drops a database named certbody_bench_seed on that server.
"""

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"


def run_measured(args, env) -> tuple[float, float]:
    """Run one child process; return (seconds, peak RSS MB) of that child alone."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *map(str, args)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20000, help="baseline N (then 10 x N)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    opts = parser.parse_args()

    tmp = tempfile.mkdtemp()
    url = opts.database_url
    pg_admin = None
    if url.startswith("postgres"):
        base, _, _name = url.rpartition("/")
        pg_admin = base
        url = f"{base}/certbody_bench_seed"
    else:
        url = f"sqlite:///{tmp}/bench.sqlite3"

    results = []
    for n in (opts.clients, opts.clients * 10):
        if pg_admin:
            host = pg_admin.split("@")[-1].split(":")[0]
            user = pg_admin.split("//")[1].split("@")[0]
            subprocess.run(
                ["dropdb", "--if-exists", "-h", host, "-U", user, "certbody_bench_seed"], check=True
            )
            subprocess.run(["createdb", "-h", host, "-U", user, "certbody_bench_seed"], check=True)
        else:
            Path(f"{tmp}/bench.sqlite3").unlink(missing_ok=True)
        env = dict(
            os.environ,
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="certbody.settings.local",
            DJANGO_DEBUG="false",
        )
        subprocess.run([PY, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        seconds, peak = run_measured(
            [PY, "manage.py", "seed_demo", "--clients", n, "--walk", "0", "--today", "2025-06-30"],
            env,
        )
        results.append((n, seconds, peak))
        print(
            f"seed_demo {n:>9,} clients: {seconds:7.1f} s  {n / seconds:8,.0f} clients/s  "
            f"peak RSS {peak:6.1f} MB",
            flush=True,
        )
    if pg_admin:
        subprocess.run(
            ["dropdb", "--if-exists", "-h", host, "-U", user, "certbody_bench_seed"], check=True
        )

    (n1, s1, m1), (n2, s2, m2) = results
    print(
        f"\nmachine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores; "
        f"database: {'PostgreSQL' if pg_admin else 'SQLite'}; {time.strftime('%Y-%m-%d')}"
    )
    print(
        f"10x the clients: memory x{m2 / m1:.2f} (flat is ~1.0), "
        f"rate x{(n2 / s2) / (n1 / s1):.2f} of the baseline's"
    )
    resource.getrusage(resource.RUSAGE_SELF)


if __name__ == "__main__":
    main()
