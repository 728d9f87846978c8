"""How the audits app talks to the apps around it without importing upward
(docs/decisions/001-app-layers.md): the need-to-know registry its access rules fill
(core/need_to_know.py) and the signals the certificates app answers (audits/signals.py).
Both fail closed: a model nobody gave a policy, or planning nobody locks, is an error, never
a silent "everything"."""

import datetime

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured

from audits import access, signals
from audits import services as audit_svc
from audits.models import Audit, AuditTimeTable
from certificates.receivers import lock_for_audit_planning
from core import need_to_know
from tests import lifecycle as lc

D = datetime.date
pytestmark = pytest.mark.django_db


def test_every_need_to_know_admin_has_a_policy():
    guarded = [
        model
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, need_to_know.NeedToKnowAdminMixin)
    ]
    assert guarded
    for model in guarded:
        assert need_to_know.policy_for(model) is access.visible, model


def test_a_model_without_a_policy_fails_closed(people):
    with pytest.raises(ImproperlyConfigured, match=r"audits\.audittimetable"):
        need_to_know.visible(AuditTimeTable.objects.all(), people.staff)


def test_a_second_policy_for_a_model_is_refused():
    need_to_know.register(access.visible, "audits.audit")  # the same one again: no change
    with pytest.raises(ImproperlyConfigured, match="already has"):
        need_to_know.register(lambda queryset, user: queryset, "audits.audit")
    assert need_to_know.policy_for(Audit) is access.visible


def test_planning_without_the_certifications_owner_is_refused(people):
    cert = lc.certified(people)
    staffed = set(cert.audits.filter(team_leader__isnull=False).values_list("pk", flat=True))
    revision = cert.revision
    uid = "certificates.lock_for_audit_planning"
    assert signals.audit_planning.disconnect(dispatch_uid=uid)
    try:
        with pytest.raises(ImproperlyConfigured, match="audit_planning"):
            audit_svc.audit_plan(
                certification=cert,
                kind="surveillance",
                planned_start=D(2025, 11, 15),
                planned_end=D(2025, 11, 15),
                team_leader=people.auditor,
                by=people.staff,
            )
    finally:
        signals.audit_planning.connect(lock_for_audit_planning, dispatch_uid=uid)
    # Nothing was planned, nothing touched.
    assert set(cert.audits.filter(team_leader__isnull=False).values_list("pk", flat=True)) == (
        staffed
    )
    cert.refresh_from_db()
    assert cert.revision == revision
