"""Rule 9: two staff act on the same certification at once (real PostgreSQL, two connections).

Both load the certification (same revision). Thread A enters its service, locks the row and
is held inside its transaction (a threading.Event, via a wrapper around the
``run_transition`` the service calls right after locking). Thread B then calls a conflicting
service and waits on the row lock (we see it waiting in pg_stat_activity). A is released and
commits; B gets the lock, sees the revision moved on and refuses with the conflict message.
Exactly one change is applied, and completely.

Every wait is bounded: events and joins time out, and B's session has a lock_timeout.
"""

import datetime
import threading
import time

import pytest
from django.db import connection, connections
from django_fsm_log.models import StateLog

from certificates import services as svc
from certificates.models import CertificateStatus, Certification, Decision, State
from certificates.services import CertificationConflict
from certificates.services import common as svc_common
from tests import lifecycle as lc
from tests.audits.factories import all_standards_auditor
from tests.factories import UserFactory

D = datetime.date
TIMEOUT = 15  # seconds, for every wait
# Committed data (other connections must see it). serialized_rollback: each test starts from
# the migrated data (roles, standards), which the flush after a transactional test removes.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module", autouse=True)
def _leave_the_migrated_data(django_db_setup, django_db_blocker):
    """After the last test's flush, put the migrated data back for the tests that follow."""
    yield
    if not hasattr(connection, "_test_serialized_contents"):
        return
    with django_db_blocker.unblock():
        connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


class Race:
    """Run ``first`` in thread A, held right after it locked the row, and ``second`` in
    thread B once B is waiting for that lock; then let A finish."""

    def __init__(self, monkeypatch):
        self.a_locked = threading.Event()
        self.release_a = threading.Event()
        self.results = {}
        self.b_pid = None
        self.b_ready = threading.Event()
        # Every certification transition runs through services/common.py's _apply.
        original = svc_common.run_transition

        def held_run_transition(*args, **kwargs):
            if threading.current_thread().name == "A":
                self.a_locked.set()
                assert self.release_a.wait(TIMEOUT), "A was never released"
            return original(*args, **kwargs)

        monkeypatch.setattr(svc_common, "run_transition", held_run_transition)

    def _thread(self, name, fn):
        def body():
            try:
                if name == "B":
                    with connection.cursor() as cursor:
                        # Fail instead of hanging if the test logic is wrong.
                        cursor.execute(f"SET lock_timeout = '{TIMEOUT}s'")
                        cursor.execute("SELECT pg_backend_pid()")
                        self.b_pid = cursor.fetchone()[0]
                    self.b_ready.set()
                self.results[name] = ("ok", fn())
            except BaseException as err:  # reported by the main thread
                self.results[name] = ("error", err)
            finally:
                connections.close_all()

        return threading.Thread(target=body, name=name, daemon=True)

    def _wait_until_b_waits_for_the_lock(self):
        deadline = time.monotonic() + TIMEOUT
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [self.b_pid]
                )
                row = cursor.fetchone()
                if row and row[0] == "Lock":
                    return
                time.sleep(0.005)  # polling PostgreSQL's view, not a synchronisation guess
        raise AssertionError("B never waited for A's row lock")

    def run(self, first, second):
        a = self._thread("A", first)
        b = self._thread("B", second)
        try:
            a.start()
            assert self.a_locked.wait(TIMEOUT), f"A never locked the row: {self.results}"
            b.start()
            assert self.b_ready.wait(TIMEOUT), f"B never started: {self.results}"
            self._wait_until_b_waits_for_the_lock()
        finally:
            self.release_a.set()
            a.join(TIMEOUT)
            b.join(TIMEOUT)
        assert not a.is_alive() and not b.is_alive(), "a thread hung"
        return self.results["A"], self.results["B"]


def _loaded(cert):
    """The certification as one member of staff loaded it."""
    return Certification.objects.get(pk=cert.pk)


ACTIONS = {
    "suspend": (
        lambda c, p: svc.certification_suspend(
            certification=c, reason="Client asked", by=p.decider, on=D(2025, 6, 1)
        ),
        State.SUSPENDED,
        CertificateStatus.SUSPENDED,
    ),
    "withdraw": (
        lambda c, p: svc.certification_withdraw(
            certification=c, reason="Misuse of marks", by=p.decider, on=D(2025, 6, 1)
        ),
        State.WITHDRAWN,
        CertificateStatus.WITHDRAWN,
    ),
    "reduce_scope": (
        lambda c, p: svc.certification_reduce_scope(
            certification=c,
            scope="IT operation services (Beijing only)",
            reason="Site closed",
            by=p.decider,
            on=D(2025, 6, 1),
        ),
        State.ACTIVE,
        CertificateStatus.CURRENT,
    ),
}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("suspend", "withdraw"),
        ("withdraw", "suspend"),
        ("suspend", "suspend"),
        ("reduce_scope", "withdraw"),
    ],
)
def test_two_staff_change_one_certification_at_once(people, monkeypatch, first, second):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    logs_before = StateLog.objects.for_(cert).count()
    decisions_before = Decision.objects.filter(certification=cert).count()
    view_a, view_b = _loaded(cert), _loaded(cert)
    act_a, state_a, status_a = ACTIONS[first]
    act_b, _, _ = ACTIONS[second]

    result_a, result_b = Race(monkeypatch).run(
        lambda: act_a(view_a, people), lambda: act_b(view_b, people)
    )

    assert result_a[0] == "ok", result_a
    kind, err = result_b
    assert kind == "error" and isinstance(err, CertificationConflict), result_b
    assert "Someone else changed this certification" in str(err)
    assert f"“{state_a.label}”" in str(err)  # it says what the certification is now

    cert.refresh_from_db()
    assert cert.state == state_a
    assert cert.revision == view_a.revision + 1
    # A applied completely, B not at all.
    new_logs = list(StateLog.objects.for_(cert).order_by("pk")[logs_before:])
    assert [log.transition for log in new_logs] == [first]
    decisions = Decision.objects.filter(certification=cert).order_by("pk")[decisions_before:]
    assert [d.outcome for d in decisions] == [first]
    certificates = list(cert.certificates.order_by("version"))
    assert certificates[-1].status == status_a
    assert all(c.status == CertificateStatus.SUPERSEDED for c in certificates[:-1])
    assert len(certificates) == (2 if first == "reduce_scope" else 1)


def _decision_pending(people):
    cert, _, _ = lc.pending(people)
    return cert


def test_two_decision_makers_grant_at_once(people, monkeypatch):
    """Both press "grant" on the same pending certification: one certificate, version 1."""
    decider2 = UserFactory(role="Decision maker", username="decider2")
    cert = _decision_pending(people)
    view_a, view_b = _loaded(cert), _loaded(cert)

    result_a, result_b = Race(monkeypatch).run(
        lambda: svc.certification_grant(certification=view_a, by=people.decider, on=D(2025, 1, 15)),
        lambda: svc.certification_grant(certification=view_b, by=decider2, on=D(2025, 1, 16)),
    )

    assert result_a[0] == "ok", result_a
    assert isinstance(result_b[1], CertificationConflict), result_b
    assert "Someone else changed this certification" in str(result_b[1])
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert (cert.cycle_start, cert.expiry_date) == (D(2025, 1, 15), D(2028, 1, 14))
    certificate = cert.certificates.get()
    assert (certificate.version, certificate.status) == (1, CertificateStatus.CURRENT)
    decision = cert.decisions.get()
    assert decision.decided_by == people.decider
    assert certificate.decision == decision
    assert set(cert.audits.filter(programme_year=None).values_list("decision", flat=True)) == {
        decision.pk
    }
    assert StateLog.objects.for_(cert).filter(transition="grant").count() == 1


def _free_race(calls):
    """Run each call in its own thread, all released together; results by thread name."""
    start = threading.Barrier(len(calls), timeout=TIMEOUT)
    results = {}

    def body(name, call):
        try:
            start.wait()
            results[name] = call()
        except BaseException as err:
            results[name] = err
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=item, daemon=True) for item in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


def test_two_grants_racing_freely_issue_one_certificate(people):
    """No holding: both threads start together from the same page; whoever locks first wins,
    the other conflicts (its page is out of date either way). Repeated a few times."""
    decider2 = UserFactory(role="Decision maker", username="decider2")
    for round_ in range(3):
        # Fresh auditors each round: the same ones cannot be booked twice on the same days.
        crew = lc.People(
            staff=people.staff,
            auditor=all_standards_auditor(f"lead{round_}"),
            auditor2=all_standards_auditor(f"member{round_}"),
            decider=people.decider,
        )
        cert = _decision_pending(crew)
        view_a, view_b = _loaded(cert), _loaded(cert)
        results = _free_race(
            {
                "A": lambda view=view_a: svc.certification_grant(
                    certification=view, by=people.decider, on=D(2025, 1, 15)
                ),
                "B": lambda view=view_b: svc.certification_grant(
                    certification=view, by=decider2, on=D(2025, 1, 15)
                ),
            }
        )
        conflicts = [r for r in results.values() if isinstance(r, CertificationConflict)]
        assert len(conflicts) == 1, results
        assert "Someone else changed this certification" in str(conflicts[0])
        cert.refresh_from_db()
        assert cert.state == State.ACTIVE
        assert list(cert.certificates.values_list("version", flat=True)) == [1]
        assert cert.decisions.count() == 1
        assert StateLog.objects.for_(cert).filter(transition="grant").count() == 1
