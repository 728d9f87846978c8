"""Queueing Celery tasks without making a request wait on the broker.

``enqueue_after_commit(task, *args)``: once the current transaction commits, the task goes to
this process's publisher thread, which sends it to the broker; the request goes on at once.
Publishing has short timeouts (settings: CELERY_BROKER_TRANSPORT_OPTIONS, about a second) and
at most one retry. A broker that is down or hangs costs the publisher thread, never a request:
what it could not send is logged, and is not lost, because the sweeps (beat every 10 minutes,
certbody/celery.py) render the certificate PDFs still missing (``certificates.tasks.
sweep_certificate_pdfs``) and send the reminders never sent (``reminders.tasks.
sweep_unsent_reminders``). ``next_sweep_at()`` says when the PDF sweep runs next, for the
messages that tell staff.

``publish(task, *args) -> bool``: send now, in this thread, with the same timeouts; False
(logged) when the broker did not take it, for callers that tell the user so.

After a publish that failed slowly (a timeout: a Redis that hangs), nothing is tried for
``QUEUEING_RETRY_AFTER`` seconds (default 10): each would wait for the timeout again, and the
sweep does the work anyway. With CELERY_TASK_ALWAYS_EAGER (the tests) tasks run at once, in the
committing thread.
"""

from __future__ import annotations

import atexit
import datetime
import logging
import os
import queue
import threading
import time

from celery import current_app
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

logger = logging.getLogger(__name__)

# The certificate PDF sweep: its name in certbody/celery.py's beat_schedule, and its task.
SWEEP_ENTRY = "sweep-certificate-pdfs"
SWEEP_TASK = "certificates.tasks.sweep_certificate_pdfs"
# A failed publish that took at least this long (seconds) was a timeout, not a refusal.
_SLOW_FAILURE = 0.05


class _Publisher:
    """One daemon thread per process sending queued tasks to the broker, in order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.jobs: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.pause_until = float("-inf")  # time.monotonic(): no publishing before this

    def submit(self, task, args, kwargs, on_failure=None) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="certbody-publisher", daemon=True
                )
                self.thread.start()
        self.jobs.put((task, args, kwargs, on_failure))

    def _run(self) -> None:
        while True:
            task, args, kwargs, on_failure = self.jobs.get()
            try:
                if not self.publish(task, args, kwargs) and on_failure is not None:
                    _call_failure(on_failure)
            finally:
                self.jobs.task_done()

    def publish(self, task, args, kwargs) -> bool:
        if time.monotonic() < self.pause_until:
            _log_not_queued(task, args, "the broker timed out a moment ago")
            return False
        started = time.monotonic()
        try:
            task.apply_async(args, kwargs)
        except Exception as err:  # kombu's OperationalError, redis-py's, OSError: none escapes
            if time.monotonic() - started >= _SLOW_FAILURE:
                self.pause_until = time.monotonic() + getattr(
                    settings, "QUEUEING_RETRY_AFTER", 10.0
                )
            _log_not_queued(task, args, err)
            return False
        return True

    def drain(self, timeout: float) -> bool:
        """Wait until every submitted task was published or given up (at most ``timeout``
        seconds); True when none is left."""
        deadline = time.monotonic() + timeout
        while self.jobs.unfinished_tasks:
            if time.monotonic() >= deadline or self.thread is None or not self.thread.is_alive():
                return False
            time.sleep(0.01)
        return True


def _log_not_queued(task, args, reason) -> None:
    logger.error(
        "Could not queue %s%r (broker unavailable?): %s. Nothing is lost: the sweep does it "
        "(beat: %s, every 10 minutes unless changed in the admin).",
        task.name,
        tuple(args),
        reason,
        SWEEP_ENTRY,
    )


_publisher = _Publisher()


def reset() -> None:
    """A forked process (gunicorn's worker) starts with its own publisher, no pause."""
    global _publisher
    _publisher = _Publisher()


os.register_at_fork(after_in_child=reset)


def drain(timeout: float = 5.0) -> bool:
    """Wait (at most ``timeout`` seconds) for the tasks handed to the publisher thread."""
    return _publisher.drain(timeout)


# A process that exits (a management command) gives its last tasks a moment to go out.
atexit.register(drain, 5.0)


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def publish(task, *args, **kwargs) -> bool:
    """Send ``task`` now, in this thread (short timeouts); False, logged, if the broker did not
    take it."""
    if _eager():
        return _run_eagerly(task, args, kwargs)
    return _publisher.publish(task, args, kwargs)


def enqueue_after_commit(task, *args, on_failure=None, **kwargs) -> None:
    """Queue ``task`` once the current transaction commits (at once outside one), without the
    committing thread waiting on the broker. ``on_failure()``, if given, is called (in the
    publisher thread) when the broker did not take it: for work no sweep redoes, to record
    that it was not queued (an import job is marked failed, and its page says so)."""

    def hand_over():
        if _eager():
            if not _run_eagerly(task, args, kwargs) and on_failure is not None:
                _call_failure(on_failure)
        else:
            _publisher.submit(task, args, kwargs, on_failure)

    transaction.on_commit(hand_over)


def _call_failure(on_failure) -> None:
    try:
        on_failure()
    except Exception:  # a failing callback must not stop the publisher thread
        logger.exception("The not-queued callback %r failed", on_failure)
    finally:
        if threading.current_thread().name == "certbody-publisher":
            # The callback's database connection is this thread's own: close it, so that no
            # idle session outlives the callback (a test database could not be dropped).
            connections.close_all()


def _run_eagerly(task, args, kwargs) -> bool:
    try:
        task.apply_async(args, kwargs)  # a failing task is recorded, not raised: this is the send
    except Exception as err:
        _log_not_queued(task, args, err)
        return False
    return True


def next_sweep_at(now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When the sweep runs next: by the schedule in the admin (*Periodic tasks*) if beat has
    written it there, else certbody/celery.py's; None when it is disabled."""
    now = now or timezone.now()
    row = (
        PeriodicTask.objects.filter(task=SWEEP_TASK)
        .select_related("crontab", "interval", "solar", "clocked")
        .order_by("-enabled", "pk")
        .first()
    )
    if row is not None:
        if not row.enabled:
            return None
        schedule = row.schedule
    else:
        entry = current_app.conf.beat_schedule.get(SWEEP_ENTRY)
        if entry is None:
            return None
        schedule = entry["schedule"]
    remaining = schedule.remaining_estimate(now)
    return now + max(remaining, datetime.timedelta(0))
