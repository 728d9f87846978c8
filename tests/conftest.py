"""Shared fixtures. Under CI=true a skipped test is a failure: CI has PostgreSQL and Redis."""

import os

import pytest
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which is a failure: {report.longrepr}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres"):
            item.fixturenames.append("_require_postgres")


@pytest.fixture(autouse=True)
def _no_rate_limit_counts_leak():
    """The rate limiter remembers, per process, the counts it read from the cache
    (infra/ratelimit.py); each test starts with none, as with its empty cache."""
    from infra import ratelimit

    ratelimit.reset_counts()
    yield
    ratelimit.reset_counts()


@pytest.fixture(autouse=True)
def _actions_may_be_dated_after_today(monkeypatch):
    """The lifecycle tests walk certifications through the real services into later years
    (grants in 2027, recertifications in 2028): the rule that a person's action is not dated
    after today (core.transitions.latest_action_day) is pinned open for them. The rule
    itself is tested with its real clock in tests/test_action_dates.py."""
    import datetime

    from core import transitions

    monkeypatch.setattr(transitions, "latest_action_day", lambda: datetime.date.max)


@pytest.fixture(autouse=True)
def _no_language_leak():
    """A request to /zh-hans/ leaves zh-hans active in this thread (LocaleMiddleware calls
    translation.activate); later tests must not run in Chinese."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def _require_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def staff(db):
    from tests.factories import UserFactory

    return UserFactory(role="CB staff", username="staff")


@pytest.fixture
def auditor(db):
    # Qualified team leaders: the team rules (audits/services/teams.py) refuse anyone else.
    from tests.audits.factories import all_standards_auditor

    return all_standards_auditor("auditor")


@pytest.fixture
def auditor2(db):
    from tests.audits.factories import all_standards_auditor

    return all_standards_auditor("auditor2")


@pytest.fixture
def decider(db):
    from tests.factories import UserFactory

    return UserFactory(role="Decision maker", username="decider")


@pytest.fixture
def people(staff, auditor, auditor2, decider):
    from tests.lifecycle import People

    return People(staff=staff, auditor=auditor, auditor2=auditor2, decider=decider)


@pytest.fixture
def certsearch_uploaded(db):
    """The monthly IAF CertSearch upload recorded for every month from 2024 to 2028, so that
    tests of other reminder kinds see only their own kind (tests/test_reminders_certsearch.py
    covers the upload reminders)."""
    import datetime

    from django.utils import timezone

    from certificates.models import CertSearchUpload

    CertSearchUpload.objects.bulk_create(
        CertSearchUpload(month=datetime.date(year, month, 1), uploaded_at=timezone.now())
        for year in range(2024, 2029)
        for month in range(1, 13)
    )
