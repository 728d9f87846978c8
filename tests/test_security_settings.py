"""Safe defaults and deployment checks (issue 14, findings 7, 8 and 9).

- Stored files (client documents, import files, certificate PDFs) are never served from
  MEDIA_ROOT, in any settings: every file URL leads to a staff-only view that checks the
  admin permissions of the object holding the file (infra/files.py).
- The WSGI application (gunicorn) and Celery load the production settings by default.
- ``check --deploy`` is clean with the documented production environment; docker-compose.yml's
  example secret key and admin password stop the web service unless CERTBODY_LOCAL_TRIAL.
- certbody.W001: the rate limit counting in a per-process cache is reported.
"""

import importlib
import logging
import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import checks
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import clear_url_caches

from clients.models import ImportJob
from tests.factories import ApplicationFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = (ROOT / "docker-compose.yml").read_text()


# -- finding 7: stored files ----------------------------------------------------------------------
@pytest.fixture
def document(db):
    application = ApplicationFactory()
    document = application.documents.first()
    document.file.save("client-list.csv", ContentFile(b"name,phone\nACME,+86 10 1234\n"))
    return document


def test_file_urls_lead_to_the_staff_only_view(document):
    assert document.file.url.startswith("/admin/files/applications/")


def test_an_anonymous_request_for_a_file_gets_the_login_page(document):
    response = Client().get(document.file.url)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_who_may_see_the_application_download_the_file(document):
    client = Client()
    client.force_login(UserFactory(username="li", role="CB staff"))
    response = client.get(document.file.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"name,phone")


def test_staff_without_permission_on_the_object_get_a_404(document):
    client = Client()
    client.force_login(UserFactory(username="nobody"))  # staff, no group
    assert client.get(document.file.url).status_code == 404


def test_the_admin_links_the_file_to_the_protected_view(document):
    client = Client()
    client.force_login(UserFactory(username="li", role="CB staff"))
    page = client.get(f"/admin/clients/application/{document.application_id}/change/")
    assert page.status_code == 200
    assert f'href="{document.file.url}"' in page.text
    assert "/media/" not in page.text


def test_names_no_object_holds_and_path_tricks_are_404(document):
    client = Client()
    client.force_login(UserFactory(username="boss", role="Administrator", is_superuser=True))
    assert client.get("/admin/files/applications/nothing-here.csv").status_code == 404
    assert client.get("/admin/files/../settings.py").status_code == 404
    assert client.get("/admin/files/applications/%2e%2e/x").status_code == 404


def test_an_import_file_only_for_those_who_may_import(db):
    staff = UserFactory(username="li", role="CB staff")
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.CLIENTS,
        file_name="clients.csv",
        phase=ImportJob.Phase.PREVIEW,
        status=ImportJob.Status.DONE,
        created_by=staff,
    )
    job.file.save("clients.csv", ContentFile(b"contacts"))
    client = Client()
    client.force_login(staff)
    assert client.get(job.file.url).status_code == 200
    client.force_login(UserFactory(username="decider", role="Decision maker"))
    assert client.get(job.file.url).status_code == 404
    assert Client().get(job.file.url).status_code == 302


@pytest.fixture
def debug_urls(settings):
    """The URL configuration as it is built with DEBUG on."""
    import certbody.urls

    settings.DEBUG = True
    importlib.reload(certbody.urls)
    clear_url_caches()
    yield certbody.urls
    settings.DEBUG = False
    importlib.reload(certbody.urls)
    clear_url_caches()


def _callbacks(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _callbacks(pattern.url_patterns)
        else:
            yield pattern.callback


def test_media_root_is_not_served_even_with_debug(debug_urls, document):
    from django.views.static import serve

    assert serve not in set(_callbacks(debug_urls.urlpatterns))
    assert Client().get(f"/media/{document.file.name}").status_code == 404
    assert Client().get(document.file.url).status_code == 302


def _settings_of(module_code, **env):
    """DJANGO_SETTINGS_MODULE and DEBUG after importing a module with no settings chosen."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CERTBODY_"))}
    clean.update(DJANGO_SECRET_KEY=secrets.token_urlsafe(50), **env)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{module_code}\nfrom django.conf import settings\n"
            "print(settings.SETTINGS_MODULE, settings.DEBUG)",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-2:]


def test_the_wsgi_application_defaults_to_production_without_debug():
    assert _settings_of("import certbody.wsgi") == ["certbody.settings.production", "False"]


def test_celery_defaults_to_production_without_debug():
    assert _settings_of("import certbody.celery") == ["certbody.settings.production", "False"]


def test_the_wsgi_application_without_a_secret_key_does_not_start():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CERTBODY_"))}
    result = subprocess.run(
        [sys.executable, "-c", "import certbody.wsgi"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


# -- finding 8: check --deploy --------------------------------------------------------------------
# The production environment README documents ("Production").
DOCUMENTED = {
    "DJANGO_SETTINGS_MODULE": "certbody.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "certs.example.com",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "CERTBODY_ADMIN_PASSWORD": "a-password-of-our-own",
    # Certificates print the body's address (ISO/IEC 17021-1 8.2.2; else certificates.W001).
    "CERTBODY_BODY_ADDRESS": "No. 8 Certification Road, Beijing",
}


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CERTBODY_"))}
    clean.pop("CACHE_URL", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_documented_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **DOCUMENTED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_behind_a_proxy_that_redirects_to_https_check_deploy_is_clean_too():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **DOCUMENTED, DJANGO_PROXY_SSL_REDIRECT="1"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_turning_the_redirect_off_without_saying_the_proxy_does_it_warns():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **DOCUMENTED, DJANGO_SECURE_SSL_REDIRECT="0"
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def _compose_default(variable):
    return re.search(rf"\${{{variable}:-([^}}]+)}}", COMPOSE).group(1)


def test_compose_web_checks_before_it_starts_and_passes_no_password_argument():
    web = COMPOSE.split("\n  web:", 1)[1].split("\n  worker:", 1)[0]
    # migrate runs the system checks, so certbody.E003 stops the web service before gunicorn.
    assert web.index("manage.py migrate") < web.index("gunicorn")
    assert "--password" not in web


@pytest.mark.parametrize(
    "env",
    [
        {"DJANGO_SECRET_KEY": _compose_default("DJANGO_SECRET_KEY")},
        {"CERTBODY_ADMIN_PASSWORD": _compose_default("ADMIN_PASSWORD")},
    ],
    ids=["secret key", "admin password"],
)
def test_compose_examples_are_refused_unless_a_local_trial(env):
    refused = manage("check", **{**DOCUMENTED, **env})
    assert refused.returncode != 0
    assert "certbody.E003" in refused.stderr
    assert "CERTBODY_LOCAL_TRIAL" in refused.stderr
    trial = manage("check", **{**DOCUMENTED, **env}, CERTBODY_LOCAL_TRIAL="true")
    assert trial.returncode == 0, trial.stdout + trial.stderr


# -- finding 9: the rate limit's cache ------------------------------------------------------------
def _ids(**kwargs):
    return {m.id for m in checks.run_checks(**kwargs)}


def test_a_per_process_rate_limit_cache_is_a_deploy_warning(settings, monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert "certbody.W001" in _ids(include_deployment_checks=True)
    # Not on the laptop's everyday checks.
    assert "certbody.W001" not in _ids()
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    assert "certbody.W001" in _ids(include_deployment_checks=True)


def test_no_warning_with_a_shared_cache_one_process_or_no_rate_limit(settings, monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "infra.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/1"},
    }
    assert "certbody.W001" not in _ids(include_deployment_checks=True)
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert "certbody.W001" not in _ids(include_deployment_checks=True)
    monkeypatch.delenv("WEB_CONCURRENCY")
    settings.RATELIMIT_ENABLE = False
    assert "certbody.W001" not in _ids(include_deployment_checks=True)


def _gunicorn_when_ready(workers, caplog):
    when_ready = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["when_ready"]
    log = logging.getLogger("test.gunicorn")
    server = SimpleNamespace(cfg=SimpleNamespace(workers=workers), log=log)
    with caplog.at_level(logging.WARNING, logger="test.gunicorn"):
        when_ready(server)
    return [r.getMessage() for r in caplog.records if r.name == "test.gunicorn"]


def test_gunicorn_warns_at_start_with_several_workers_and_a_per_process_cache(caplog):
    messages = _gunicorn_when_ready(4, caplog)
    assert len(messages) == 1
    assert "certbody.W001" in messages[0] and "CACHE_URL" in messages[0]


def test_gunicorn_is_quiet_with_one_worker_or_a_shared_cache(caplog, settings):
    assert _gunicorn_when_ready(1, caplog) == []
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "infra.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/1"},
    }
    assert _gunicorn_when_ready(4, caplog) == []
