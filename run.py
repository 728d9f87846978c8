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
    procs = [
        subprocess.Popen(
            [str(PY), "manage.py", "runserver", f"127.0.0.1:{port}"], cwd=ROOT, env=env
        ),
        subprocess.Popen(
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
            cwd=ROOT,
            env=env,
        ),
    ]
    print(
        f"\ncertbody is running: http://127.0.0.1:{port}/work/  (中文: /zh-hans/work/; "
        f"administration: /admin/)\n"
        f"  links in mail and QR codes: {env['CERTBODY_PUBLIC_BASE_URL']}\n"
        f"  {login}\n"
        f"  {demo_users_line()}\n"
        "  web, Celery worker and beat are running; Ctrl-C stops all.\n",
        flush=True,
    )
    # SIGTERM (a service manager, `timeout`, `kill`) stops everything as Ctrl-C does, so no
    # worker or web server is left running without this process.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    sys.exit(max((p.returncode or 0) for p in procs) if any(p.returncode for p in procs) else 0)


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
