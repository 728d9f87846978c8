#!/usr/bin/env python3
"""certbody's two commands, needing nothing but Python 3.11:

    python3 run.py          set up (.venv, install, migrate, demo data, a login) and run
                            the web app, a Celery worker and beat on SQLite and a filesystem
                            broker; Ctrl-C stops everything
    python3 run.py test     install the test tools and run the whole test suite (pytest);
                            extra arguments go to pytest
    python3 run.py lint     ruff check, ruff format --check, lint-imports (the apps' layers)
                            and mypy (core, rules, services): what CI runs

DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and Redis. PORT (default 8000) is the
port served; the links in mail and the QR codes on certificates point at it unless
CERTBODY_PUBLIC_BASE_URL says otherwise.
"""

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def sh(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project (again only when pyproject.toml changed)."""
    if sys.version_info[:2] != (3, 11):
        print(f"certbody needs Python 3.11; this is {sys.version.split()[0]}.", file=sys.stderr)
        sys.exit(2)
    if not PY.exists():
        sh(sys.executable, "-m", "venv", VENV)
        sh(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".certbody-installed"
    if stamp.exists() and stamp.read_text() == digest:
        return
    sh(PY, "-m", "pip", "install", "--quiet", "-e", f".{extras}")
    stamp.write_text(digest)


def manage(*args, **kwargs):
    return sh(PY, "manage.py", *args, **kwargs)


DEMO_USERS = "staff_demo, auditor_demo, auditor2_demo, decider_demo"


def demo_users_line(environ=os.environ) -> str:
    """The startup line naming the demo users and their password: "demo" unless
    CERTBODY_DEMO_PASSWORD set another when they were created (ensure_login --demo-users), which
    is not echoed. A demo user's password is set once: changing the variable later does not
    change it."""
    if environ.get("CERTBODY_DEMO_PASSWORD"):
        return f"demo users (the password in CERTBODY_DEMO_PASSWORD when created): {DEMO_USERS}"
    return f"demo users (password 'demo', unless CERTBODY_DEMO_PASSWORD was set): {DEMO_USERS}"


def public_base_url(port: str, environ=os.environ) -> str:
    """Where the links in mail and the QR codes on certificates point: CERTBODY_PUBLIC_BASE_URL
    when set (the address others reach, e.g. behind a proxy), else this machine on the port
    the app is served on (PORT, default 8000)."""
    return environ.get("CERTBODY_PUBLIC_BASE_URL") or f"http://127.0.0.1:{port}"


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def up() -> None:
    ensure_venv("[dev]")
    # The laptop settings (DEBUG on), chosen here explicitly: without DJANGO_SETTINGS_MODULE,
    # the WSGI application and Celery load the production settings.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certbody.settings.local")
    (ROOT / "var").mkdir(exist_ok=True)
    manage("migrate", "--noinput")
    manage("compilemessages_if_needed")
    manage("seed_demo_if_empty", "--clients", "60")
    # Created once, kept across restarts; its password never goes on a command line
    # (ensure_login generates it, or takes CERTBODY_ADMIN_PASSWORD, and prints it once).
    login = manage(
        "ensure_login", "--username", "admin", "--demo-users", capture_output=True, text=True
    ).stdout.strip()
    port = os.environ.get("PORT", "8000")
    # The web app, the worker (mail links) and the certificate PDFs (QR codes) all print
    # links to the address the app is served on.
    env = dict(os.environ, PYTHONUNBUFFERED="1", PORT=port)
    env["CERTBODY_PUBLIC_BASE_URL"] = public_base_url(port)
    commands = [
        [str(PY), "manage.py", "runserver", f"127.0.0.1:{port}"],
        [
            str(BIN / "celery"),
            "-A",
            "certbody",
            "worker",
            "--beat",
            "--loglevel",
            "info",
            "--concurrency",
            "2",
            "--schedule",
            str(ROOT / "var" / "celerybeat-schedule"),
        ],
    ]
    started = (
        f"\ncertbody is running: http://127.0.0.1:{port}/work/  (中文: /zh-hans/work/; "
        f"administration: /admin/)\n"
        f"  links in mail and QR codes: {env['CERTBODY_PUBLIC_BASE_URL']}\n"
        f"  {login}\n"
        f"  {demo_users_line()}\n"
        "  web, Celery worker and beat are running; Ctrl-C stops all.\n"
    )
    sys.exit(supervise(commands, env=env, started=started))


def supervise(commands, *, env=None, started: str = "") -> int:
    """Run ``commands`` side by side until one ends or this process is told to stop (Ctrl-C,
    or SIGTERM from a service manager, `timeout` or `kill`), then stop them all and return the
    worst exit status.

    Each command runs in its own process group, and the stop signal goes to the whole group:
    runserver's autoreloader serves from a child process, and a SIGINT to the reloader alone
    left that child serving after run.py had gone (seen twice). What has not stopped 15 s
    later is killed, group and all."""
    procs = [subprocess.Popen(c, cwd=ROOT, env=env, start_new_session=True) for c in commands]
    if started:
        print(started, flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            _signal_group(p, signal.SIGINT)
        deadline = time.monotonic() + 15
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The group too: a reloader's child may outlive its parent.
            _signal_group(p, signal.SIGKILL)
            p.wait()
    codes = [p.returncode or 0 for p in procs]
    return max(codes) if any(codes) else 0


def _signal_group(proc, signum) -> None:
    """``signum`` to ``proc``'s process group (its own: start_new_session), if any is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signum)


def test(args) -> None:
    ensure_venv("[dev]")
    # pytest: the whole suite; PostgreSQL/Redis tests run when DATABASE_URL/CELERY_BROKER_URL
    # point at real servers (and must not skip when CI=true).
    result = subprocess.run([str(BIN / "pytest"), *args], cwd=ROOT)
    sys.exit(result.returncode)


def lint() -> None:
    """What CI and the pre-commit hooks (.pre-commit-config.yaml) check, in this order: ruff's
    rules, ruff's formatting, the layers between the apps (import-linter, pyproject.toml's
    [tool.importlinter]) and the types of core/, the rules and the services (mypy,
    [tool.mypy]). Every check runs; the command fails if any failed."""
    ensure_venv("[dev]")
    checks = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "lint-imports"],
        [BIN / "mypy"],
    ]
    failed = []
    for check in checks:
        try:
            sh(*check)
        except subprocess.CalledProcessError:
            failed.append(Path(check[0]).name)
    if failed:
        print(f"lint failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    if command == "up":
        up()
    elif command == "test":
        test(sys.argv[2:])
    elif command == "lint":
        lint()
    else:
        print(__doc__)
        sys.exit(2)
