"""What the benchmarks need besides the project's own packages, checked before a run starts,
so that a missing tool is one clear sentence with the command that installs it, not a
traceback halfway through (README, "Benchmarks").

| script | needs |
| --- | --- |
| public_lookup.py | wrk (the load generator), a PostgreSQL server; Redis (optional) |
| workspace.py | a PostgreSQL server (pg_prewarm ships with Debian's postgresql package) |
| reminder_scan.py, import_clients.py, synth_audits.py | a PostgreSQL server |
| seed_demo_memory.py | nothing more (SQLite by default; PostgreSQL when given) |
"""

import shutil
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

INSTALL = {
    "wrk": "apt-get install wrk   (Debian/Ubuntu; macOS: brew install wrk)",
}
POSTGRES_HINT = (
    "start it (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)"
    " or point --database-url at one"
)


def _stop(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(2)


def need_tool(name: str, why: str) -> str:
    """The path of command ``name``; stops with how to install it when it is missing."""
    path = shutil.which(name)
    if path is None:
        _stop(f"needs {name} ({why}); install it: {INSTALL.get(name, name)}")
    return path


def need_postgres(url: str) -> None:
    """Stops unless a PostgreSQL server answers at ``url``'s host (its ``postgres`` database:
    the benchmark's own database may not exist yet)."""
    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))
    try:
        psycopg.connect(server, connect_timeout=3).close()
    except psycopg.OperationalError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        _stop(
            f"needs a PostgreSQL server at {parts.hostname}:{parts.port or 5432} ({first}); "
            f"{POSTGRES_HINT}"
        )
