"""The seed_demo command: every state, genuine history for walked clients, consistent bulk
rows with a history and revision of their own, valid registration ids, repeatable and
collision-free."""

import datetime
import random
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django_fsm_log.models import StateLog
from stdnum.cn import uscc

from audits.models import Audit, Finding
from certificates.models import (
    Certificate,
    CertificateStatus,
    Certification,
    Decision,
    State,
)
from clients.models import Application, Client, Contact, Site
from core.dates import anniversary
from demo.bulk import bulk_returns_pks
from demo.profiles import _org_check, dodge_collisions, make_profile, make_uscc

D = datetime.date
TODAY = D(2025, 6, 30)
pytestmark = pytest.mark.django_db

CERTIFIED = {
    State.ACTIVE: CertificateStatus.CURRENT,
    State.SUSPENDED: CertificateStatus.SUSPENDED,
    State.WITHDRAWN: CertificateStatus.WITHDRAWN,
    State.EXPIRED: CertificateStatus.EXPIRED,
}


def seed(*args, today=TODAY):
    out = StringIO()
    call_command("seed_demo", f"--today={today.isoformat()}", *args, stdout=out)
    return out.getvalue()


def assert_consistent(today=TODAY):
    """What must hold for every seeded certification, walked or bulk."""
    for cert in Certification.objects.select_related("standard", "client"):
        client = cert.client
        assert client.sites.filter(is_central=True).count() == 1, client
        assert client.contacts.exists(), client
        if client.country == "CN":
            assert uscc.is_valid(client.registration_id), client.registration_id
            assert client.registration_is_valid
            client.full_clean()
        certificates = list(cert.certificates.order_by("version"))
        if cert.state not in CERTIFIED:
            assert not certificates, cert
            assert cert.cycle_start is None
            continue
        number = f"CB-{cert.standard.certificate_code}-{cert.pk:06d}"
        assert cert.certificate_number == number
        latest = certificates[-1]
        assert latest.number == number
        expected = CERTIFIED[cert.state]
        if cert.state == State.WITHDRAWN:
            # Ended at the client's request: a cancellation (Decision.ending), not a withdrawal.
            ending = cert.decisions.get(outcome="withdraw").ending
            assert ending, cert
            if ending != "withdrawn":
                expected = CertificateStatus.CANCELLED
        assert latest.status == expected, cert
        assert latest.expiry_date == cert.expiry_date
        assert cert.expiry_date == anniversary(cert.cycle_start, 3) - datetime.timedelta(days=1)
        assert cert.decisions.filter(outcome__in=["grant", "recertify", "restore_after_expiry"])
        if cert.state == State.ACTIVE:
            current = cert.current_certificate()
            assert current.effective_date <= today <= current.expiry_date, cert
        if cert.state == State.SUSPENDED:
            assert cert.suspended_on <= today
            assert cert.suspension_deadline > cert.suspended_on
        if cert.state == State.EXPIRED:
            assert cert.expiry_date < cert.expired_on <= today
        if cert.state in (State.WITHDRAWN, State.EXPIRED):
            assert cert.next_surveillance_due is None
    assert not Decision.objects.filter(decided_on__gt=today).exists()
    assert not Certificate.objects.filter(effective_date__gt=today).exists()
    # Every history row is dated on a demo day, none on the day the command ran.
    assert not StateLog.objects.filter(timestamp__date__gt=today).exists()


def assert_bulk_history(today=TODAY):
    """The bulk path keeps the services' promises (certificates/bulk.py): each certification
    has a history row for every write, dated the day it entered its state (opened in it, then
    numbered once certified), and its revision counts the writes after it was opened."""
    content_type = ContentType.objects.get_for_model(Certification)
    logs = {}
    for log in StateLog.objects.filter(content_type=content_type).order_by("timestamp", "pk"):
        logs.setdefault(int(log.object_id), []).append(log)
    for cert in Certification.objects.all():
        rows = logs[cert.pk]
        numbered = ["assign_certificate_number"] if cert.state in CERTIFIED else []
        assert [row.transition for row in rows] == ["seed_demo", *numbered], cert
        assert rows[0].source_state is None
        assert {row.state for row in rows} == {cert.state}
        assert cert.revision == len(rows) - 1
        assert cert.state_since <= today
        assert {timezone.localdate(row.timestamp) for row in rows} == {cert.state_since}


def test_sixty_clients_every_state_and_genuine_history():
    out = seed("--clients=60")
    assert Client.objects.count() == 60
    states = set(Certification.objects.values_list("state", flat=True))
    assert states == set(State.values)
    assert "Certifications added, by state:" in out
    assert_consistent()

    walked = list(Certification.objects.order_by("pk")[:40])
    decider = get_user_model().objects.get(username="decider_demo")
    for cert in walked:
        logs = list(StateLog.objects.for_(cert).order_by("pk"))
        if cert.state != State.APPLIED:
            assert logs, cert
        if logs:  # the history ends in the current state, on or before today, in order
            assert logs[-1].state == cert.state
            stamps = [log.timestamp for log in logs]
            assert stamps == sorted(stamps)
            assert stamps[-1].date() <= TODAY
        for decision in cert.decisions.all():
            assert decision.decided_by == decider
            for audit in decision.audits.all():
                assert decider.pk not in audit.team_user_ids()
    walked_ids = [c.pk for c in walked]
    assert Audit.objects.filter(certification__in=walked_ids).count() >= 40
    assert Finding.objects.filter(audit__certification__in=walked_ids).exists()
    # The walked ones also cover every state on their own.
    assert {c.state for c in walked} == set(State.values)
    # Active ones that went through the services have audits and certificates of their own.
    for cert in walked:
        if cert.state == State.ACTIVE:
            assert cert.audits.filter(kind="stage2", state="closed").exists()
    users = get_user_model().objects.filter(username__endswith="_demo")
    assert users.count() == 4
    assert not users.filter(is_superuser=True).exists()
    assert not any(u.has_usable_password() for u in users)
    assert Certification.objects.filter(standard__code="ISO/IEC 20000-1").count() > 30


def test_bulk_in_chunks_counts_match():
    out = seed("--clients=3000", "--walk=0", "--chunk=500")
    assert "chunk 6/6" in out
    assert Client.objects.count() == 3000
    assert Contact.objects.count() == 3000
    assert Application.objects.count() == 3000
    assert Certification.objects.count() == 3000
    assert Site.objects.count() >= 3000
    certified = Certification.objects.filter(state__in=list(CERTIFIED)).count()
    assert Certificate.objects.count() == certified
    assert Decision.objects.filter(outcome="grant").count() == certified
    assert Decision.objects.filter(outcome="suspend").count() == (
        Certification.objects.filter(state=State.SUSPENDED).count()
    )
    assert set(Certification.objects.values_list("state", flat=True)) == set(State.values)
    for state in State:  # the summary counts what was written
        n = Certification.objects.filter(state=state).count()
        assert f"  {state.value:<17} {n:>10,}" in out
    assert Application.standards.through.objects.count() == 3000
    assert Application.sites.through.objects.count() == Site.objects.count()
    assert_consistent()
    assert_bulk_history()


def test_bulk_without_returned_pks(monkeypatch):
    """Databases whose INSERT returns no pks: rows are read back by their keys."""
    monkeypatch.setattr(
        type(connection.features), "can_return_rows_from_bulk_insert", False, raising=False
    )
    assert not bulk_returns_pks()
    seed("--clients=300", "--walk=0", "--chunk=70")
    assert Certification.objects.count() == 300
    assert_consistent()
    assert_bulk_history()


def test_running_twice_adds_clients_without_collisions():
    seed("--clients=45", "--walk=5", "--chunk=20")
    seed("--clients=45", "--walk=5", "--chunk=20")
    assert Client.objects.count() == 90
    assert Client.objects.values("registration_id").distinct().count() == 90
    assert_consistent()


def test_same_seed_same_data():
    def snapshot():
        return list(
            Certification.objects.order_by("pk").values_list(
                "client__legal_name",
                "client__city",
                "client__effective_personnel",
                "state",
                "cycle_start",
                "expiry_date",
                "scope",
            )
        )

    class Rollback(Exception):
        pass

    runs = []
    for seed_value in (7, 7, 8):
        with pytest.raises(Rollback), transaction.atomic():
            seed("--clients=50", "--walk=12", "--chunk=20", f"--seed={seed_value}")
            runs.append(snapshot())
            raise Rollback
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_taken_registration_id_is_dodged():
    profile = make_profile(random.Random(3), 5)
    taken = profile.client["registration_id"]
    Client.objects.create(**{**profile.client, "notes": "entered by hand"})
    dodge_collisions([profile])
    fresh = profile.client["registration_id"]
    assert fresh != taken
    assert not Client.objects.filter(registration_id=fresh).exists()
    if profile.client["country"] == "CN":
        assert uscc.is_valid(fresh)


def test_registration_ids():
    ids = {make_uscc(n, "110108") for n in range(1, 2000)}
    assert len(ids) == 1999
    assert all(uscc.is_valid(i) and i[8:10] == "MA" for i in ids)
    # The organisation code carries its GB 11714 check character: the code inside the
    # USCC 91110000600037341L (python-stdnum's example) is 60003734-1.
    assert _org_check("60003734") == "1"
    assert _org_check("D2143569") == "X"


def test_bad_today_is_refused():
    with pytest.raises(CommandError):
        call_command("seed_demo", "--today=2025-13-01", stdout=StringIO())
