"""Issue 17: the QR code and the links in mail pointed at port 8000 whatever port the app ran
on. run.py now sets CERTBODY_PUBLIC_BASE_URL from the port it serves (PORT) unless it is set,
and the settings' default follows PORT too."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_py():
    spec = importlib.util.spec_from_file_location("certbody_run_py_port", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines functions only; runs nothing
    return module


def test_public_base_url_follows_the_port():
    run_py = _run_py()
    assert run_py.public_base_url("8765", {}) == "http://127.0.0.1:8765"
    assert run_py.public_base_url("8000", {}) == "http://127.0.0.1:8000"
    set_by_hand = {"CERTBODY_PUBLIC_BASE_URL": "https://certs.example.cn"}
    assert run_py.public_base_url("8765", set_by_hand) == "https://certs.example.cn"


def test_run_py_hands_the_url_to_web_and_worker(monkeypatch):
    """``up`` starts the web app and the worker (which sends the mail and renders the PDFs)
    with CERTBODY_PUBLIC_BASE_URL on the port served."""
    run_py = _run_py()
    started = []

    class FakeProcess:
        returncode = 0

        def __init__(self, args, cwd=None, env=None, start_new_session=False):
            # Each in its own process group, which run.py stops as a whole.
            assert start_new_session
            started.append((args, env))

        def poll(self):
            return 0

        def send_signal(self, sig):
            pass

        def wait(self, timeout=None):
            return 0

    class Done:
        stdout = "login admin"

    monkeypatch.setattr(run_py, "ensure_venv", lambda extras: None)
    monkeypatch.setattr(run_py, "manage", lambda *args, **kwargs: Done())
    monkeypatch.setattr(run_py.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(run_py.signal, "signal", lambda *args: None)
    monkeypatch.setattr(run_py, "_signal_group", lambda proc, signum: None)
    monkeypatch.setenv("PORT", "8765")
    monkeypatch.delenv("CERTBODY_PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "certbody.settings.test")
    with pytest.raises(SystemExit):
        run_py.up()
    assert len(started) == 2
    web, _worker = started
    assert web[0][-1] == "127.0.0.1:8765"
    for _args, env in started:
        assert env["CERTBODY_PUBLIC_BASE_URL"] == "http://127.0.0.1:8765"
        assert env["PORT"] == "8765"


def _setting(**env):
    environ = {k: v for k, v in os.environ.items() if k not in ("PORT", "CERTBODY_PUBLIC_BASE_URL")}
    environ.update(env, DJANGO_SETTINGS_MODULE="certbody.settings.test")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CERTBODY['PUBLIC_BASE_URL'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_settings_default_follows_port():
    assert _setting() == "http://127.0.0.1:8000"
    assert _setting(PORT="8123") == "http://127.0.0.1:8123"
    assert (
        _setting(PORT="8123", CERTBODY_PUBLIC_BASE_URL="https://x.example") == "https://x.example"
    )
