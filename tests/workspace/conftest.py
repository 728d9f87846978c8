"""Fixtures of the workspace tests: a signed-in client per role (the role users come from
tests/conftest.py: staff, auditor, auditor2, decider)."""

import pytest
from django.test import Client


def signed_in(user) -> Client:
    """A test client signed in as ``user`` that answers a server error with a 500 response
    (not an exception), as a browser would see it."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def as_staff(staff):
    return signed_in(staff)


@pytest.fixture
def as_auditor(auditor):
    return signed_in(auditor)


@pytest.fixture
def as_decider(decider):
    return signed_in(decider)
