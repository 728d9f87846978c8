"""The admin keeps its transition buttons on the shared action table (certificates.actions,
core/actions.py), and its history shows local time without microseconds."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from certificates.actions import CERTIFICATION_ACTIONS
from certificates.admin.certifications import CertificationAdmin
from certificates.models import State
from core.admin_transitions import HistoryInline
from core.dates import local_datetime_text
from tests.lifecycle import build

pytestmark = pytest.mark.django_db


def test_the_admin_uses_the_shared_table():
    assert CertificationAdmin.transition_actions is CERTIFICATION_ACTIONS


def test_history_when_is_local_time_without_microseconds(client, people):
    cert = build(people, State.ACTIVE)
    client.force_login(people.decider)
    response = client.get(reverse("admin:certificates_certification_change", args=[cert.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", html)
    assert "+00:00" not in html
    log = StateLog.objects.for_(cert).first()
    assert local_datetime_text(log.timestamp) in html
    shown = HistoryInline.when(None, log)
    assert shown == local_datetime_text(log.timestamp)
    assert shown == timezone.localtime(log.timestamp).strftime("%Y-%m-%d %H:%M")


def test_admin_suspend_still_runs_through_the_table(client, people):
    cert = build(people, State.ACTIVE)
    client.force_login(people.decider)
    url = reverse("admin:certificates_certification_transition", args=[cert.pk, "suspend"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"on": "2025-06-01", "reason": "Asked", "revision": cert.revision})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED
