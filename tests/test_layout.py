"""The layout a newcomer relies on (docs/decisions/001-app-layers.md): the project package
holds no domain code, and no module grows past what a reader takes in at once without saying
why at its top. The layers between the apps are checked by import-linter (pyproject.toml,
``python3 run.py lint``); imports placed inside functions by ruff's PLC0415."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "certbody",
    "core",
    "infra",
    "accounts",
    "reminders",
    "clients",
    "audits",
    "certificates",
)
# A module over this many lines says why at the top of its docstring ("Long module: ...").
MAX_LINES = 600
# What the project package may hold: settings, URLs, the Celery app and beat, WSGI, its checks,
# its operational commands and its historic migrations.
PROJECT_MODULES = {
    "__init__.py",
    "apps.py",
    "beat.py",
    "celery.py",
    "checks.py",
    "urls.py",
    "wsgi.py",
}
PROJECT_DIRS = {"settings", "migrations", "management"}


def _modules(*packages):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


@pytest.mark.parametrize(
    "path", list(_modules(*PACKAGES, "demo")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_module_is_long_without_a_reason(path):
    lines = path.read_text().count("\n")
    if lines <= MAX_LINES:
        return
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "Long module:" in doc, (
        f"{path.relative_to(ROOT)} has {lines} lines (over {MAX_LINES}): split it by concern, "
        "or say why it is one module with 'Long module: <reason>' in its docstring."
    )


def test_the_project_package_holds_only_the_project():
    package = ROOT / "certbody"
    extra = [
        p.name
        for p in package.iterdir()
        if (p.is_file() and p.suffix == ".py" and p.name not in PROJECT_MODULES)
        or (p.is_dir() and p.name not in PROJECT_DIRS and p.name != "__pycache__")
    ]
    assert not extra, f"certbody/ is the project package only; move these to an app: {extra}"
    commands = {p.stem for p in (package / "management" / "commands").glob("*.py")} - {"__init__"}
    assert commands <= {"compilemessages_if_needed", "sync_beat_schedule"}, commands


def test_the_project_package_defines_no_models():
    from django.apps import apps

    assert list(apps.get_app_config("certbody").get_models()) == []
