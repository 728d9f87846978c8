"""gunicorn.conf.py: the web server's settings, as the Dockerfile, compose and the public-page
benchmark start it (issue 4: threaded workers, two per core, two threads each)."""

import os
import runpy
from pathlib import Path

from gunicorn.config import Config

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def load(monkeypatch, **env):
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_KEEPALIVE", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {k: v for k, v in runpy.run_path(str(CONF)).items() if not k.startswith("_")}


def test_every_name_is_a_gunicorn_setting(monkeypatch):
    """gunicorn ignores a name it does not know (a typo would silently keep the default)."""
    values = load(monkeypatch)
    known = Config().settings
    names = {k for k, v in values.items() if not callable(v) and not isinstance(v, type(os))}
    assert names and names <= set(known), names - set(known)


def test_defaults_threaded_two_workers_per_core_two_threads_each(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    values = load(monkeypatch)
    assert values["worker_class"] == "gthread"
    assert values["threads"] == 2
    assert values["workers"] == 4
    assert values["keepalive"] > 0  # connections kept alive between requests


def test_at_most_8_workers_by_default_on_a_large_host(monkeypatch):
    """Counted from the cores this process may use (a container's cpuset), capped: each
    worker is a whole process."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert load(monkeypatch)["workers"] == 8
    assert load(monkeypatch, WEB_CONCURRENCY="16")["workers"] == 16


def test_the_environment_overrides(monkeypatch):
    values = load(
        monkeypatch,
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="1",
        GUNICORN_KEEPALIVE="10",
        GUNICORN_TIMEOUT="90",
    )
    assert (values["workers"], values["threads"], values["keepalive"], values["timeout"]) == (
        3,
        1,
        10,
        90,
    )


def test_gunicorn_accepts_the_values(monkeypatch):
    """The values pass gunicorn's own validation."""
    values = load(monkeypatch, WEB_CONCURRENCY="2")
    cfg = Config()
    for key, value in values.items():
        if key in cfg.settings:
            cfg.set(key, value)
    assert cfg.worker_class_str == "gthread"
    assert cfg.workers == values["workers"] and cfg.threads == values["threads"]


def test_when_ready_runs_before_django_is_set_up():
    """gunicorn calls when_ready in its master process, where Django's apps are not loaded:
    the check it imports (certbody/checks.py) must not import a model, or gunicorn with more
    than one worker (compose, the benchmark) stops at start with AppRegistryNotReady."""
    import subprocess
    import sys

    script = f"""
import logging, runpy, types
conf = runpy.run_path({str(CONF)!r})
warnings = []
log = types.SimpleNamespace(warning=lambda *args: warnings.append(args))
conf["when_ready"](types.SimpleNamespace(cfg=types.SimpleNamespace(workers=2), log=log))
print("ready", len(warnings))
"""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="certbody.settings.test")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=CONF.parent
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ready"), done.stdout
