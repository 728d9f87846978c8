"""The first login (issue 14, finding 11): ``ensure_login`` creates the login once and keeps it
across restarts; a password never goes on a command line (the process list shows it)."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parent.parent


def ensure_login(*args) -> str:
    out = StringIO()
    call_command("ensure_login", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _no_password_in_env(monkeypatch):
    monkeypatch.delenv("CERTBODY_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("CERTBODY_DEMO_PASSWORD", raising=False)


def test_created_once_with_a_generated_password_printed_once(db):
    first = ensure_login("--username", "admin")
    password = re.search(r"password: (\S+)", first).group(1)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.groups.filter(name="Administrator").exists()
    assert admin.check_password(password)
    # The next start keeps the login and its password, prints no password and says how to
    # reset it.
    second = ensure_login("--username", "admin")
    admin.refresh_from_db()
    assert admin.check_password(password)
    assert password not in second
    assert "exists" in second
    assert "changepassword admin" in second


def test_the_password_comes_from_the_environment_and_is_not_printed(db, monkeypatch):
    monkeypatch.setenv("CERTBODY_ADMIN_PASSWORD", "s3cret-from-env")
    out = ensure_login("--username", "admin")
    assert "s3cret-from-env" not in out
    assert User.objects.get(username="admin").check_password("s3cret-from-env")
    # Changing the variable later resets nothing: the login exists.
    monkeypatch.setenv("CERTBODY_ADMIN_PASSWORD", "another")
    ensure_login("--username", "admin")
    assert User.objects.get(username="admin").check_password("s3cret-from-env")


def test_a_password_is_not_accepted_on_the_command_line(db):
    with pytest.raises(CommandError):
        call_command("ensure_login", "--username", "admin", "--password", "x")
    with pytest.raises(CommandError):
        call_command("ensure_login", "--demo-password", "x")


def test_a_changed_password_survives_a_restart(db):
    ensure_login()
    admin = User.objects.get(username="admin")
    admin.set_password("chosen by the administrator")
    admin.save()
    ensure_login()
    admin.refresh_from_db()
    assert admin.check_password("chosen by the administrator")


def test_demo_users_get_the_demo_password_once(db, monkeypatch):
    fresh = User.objects.create_user("staff_demo")
    fresh.set_unusable_password()
    fresh.save()
    changed = User.objects.create_user("auditor_demo", password="their own")
    ensure_login("--demo-users")
    fresh.refresh_from_db()
    changed.refresh_from_db()
    assert fresh.check_password("demo")
    assert changed.check_password("their own")
    monkeypatch.setenv("CERTBODY_DEMO_PASSWORD", "other")
    ensure_login("--demo-users")
    fresh.refresh_from_db()
    assert fresh.check_password("demo")


def test_run_py_and_compose_put_no_password_on_a_command_line():
    run_py = (ROOT / "run.py").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "--password" not in run_py and "--demo-password" not in run_py
    assert "--password" not in compose
    assert "secrets.token" not in run_py  # run.py no longer makes a new password each start
    assert "CERTBODY_ADMIN_PASSWORD: ${ADMIN_PASSWORD" in compose


def _run_py():
    import importlib.util

    spec = importlib.util.spec_from_file_location("certbody_run_py", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines functions only; runs nothing
    return module


def test_run_py_names_the_demo_password_it_was_given():
    run_py = _run_py()
    assert "password 'demo'" in run_py.demo_users_line({})
    line = run_py.demo_users_line({"CERTBODY_DEMO_PASSWORD": "s3cret-trial"})
    assert "'demo'" not in line and "s3cret-trial" not in line  # not echoed
    assert "CERTBODY_DEMO_PASSWORD" in line and "staff_demo" in line
    assert "password 'demo')" not in (ROOT / "run.py").read_text()  # the line printed is this one
