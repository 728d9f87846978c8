"""infra.ratelimit: per-address fixed windows for the public pages (memory cache here; the
Redis counter is in tests/test_cache.py, the 429 pages in tests/certificates/)."""

import logging
import os

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

from infra import ratelimit


@pytest.fixture(autouse=True)
def _empty_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("60/m", (60, 60)), ("5/10s", (5, 10)), ("1000/h", (1000, 3600)), ("2/d", (2, 86400))],
)
def test_rates(rate, parsed):
    assert ratelimit.parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["", "60", "60/", "60/x", "x/m", "-1/m", "5/0s", "5/ms"])
def test_a_rate_it_cannot_read_is_a_configuration_error(rate):
    with pytest.raises(ImproperlyConfigured, match="Rate limit"):
        ratelimit.parse_rate(rate)


def test_addresses(rf, settings):
    assert ratelimit.client_address(rf.get("/", REMOTE_ADDR="203.0.113.7")) == "203.0.113.7"
    # IPv6: one /64 network is one client.
    a = rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    b = rf.get("/", REMOTE_ADDR="2001:db8:1:2:bbbb::9")
    c = rf.get("/", REMOTE_ADDR="2001:db8:1:3::1")
    assert ratelimit.client_address(a) == ratelimit.client_address(b) == "2001:db8:1:2::"
    assert ratelimit.client_address(c) == "2001:db8:1:3::"
    # IPv4-mapped IPv6 (a server bound to [::]): each IPv4 address on its own.
    mapped = [rf.get("/", REMOTE_ADDR=f"::ffff:203.0.113.{i}") for i in (7, 8)]
    assert [ratelimit.client_address(r) for r in mapped] == ["203.0.113.7", "203.0.113.8"]
    # Behind a proxy: its header; of a list, the last address (the one the proxy appended:
    # what the client wrote before it is the client's to choose).
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    proxied = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.4")
    assert ratelimit.client_address(proxied) == "198.51.100.4"
    # Not an address (a port, junk, kilobytes of text): REMOTE_ADDR, never a bucket of its own.
    for junk in ("198.51.100.4:5678", "x" * 5000, "unknown"):
        request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=junk)
        assert ratelimit.client_address(request) == "10.0.0.1"
    with pytest.raises(ImproperlyConfigured, match="DJANGO_REAL_IP_HEADER"):
        ratelimit.client_address(rf.get("/", REMOTE_ADDR=""))


def test_counts_per_address_and_group_within_a_window(rf, monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_000_000.0)
    one = rf.get("/", REMOTE_ADDR="203.0.113.7")
    other = rf.get("/", REMOTE_ADDR="203.0.113.8")
    hits = [ratelimit.hit(one, group="g", rate="3/m") for _ in range(5)]
    assert [u.count for u in hits] == [1, 2, 3, 4, 5]
    assert [u.limited for u in hits] == [False, False, False, True, True]
    assert not ratelimit.hit(other, group="g", rate="3/m").limited
    assert not ratelimit.hit(one, group="another", rate="3/m").limited
    left = hits[-1].time_left
    assert 1 <= left <= 60
    # The window ends after time_left seconds: a new one starts at zero.
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_000_000.0 + left - 1)
    assert ratelimit.hit(one, group="g", rate="3/m").count == 6
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_000_000.0 + left)
    fresh = ratelimit.hit(one, group="g", rate="3/m")
    assert fresh.count == 1 and not fresh.limited and fresh.time_left == 60


def test_windows_are_staggered_per_address():
    ends = {ratelimit._window(f"203.0.113.{i}", 60, 1_000_000) for i in range(50)}
    assert len(ends) > 10 and all(1_000_000 < end <= 1_000_060 for end in ends)


def test_off_counts_nothing(rf, settings):
    settings.RATELIMIT_ENABLE = False
    assert ratelimit.hit(rf.get("/", REMOTE_ADDR="203.0.113.7"), group="g", rate="1/m") is None


def test_a_cache_that_cannot_be_reached_lets_the_request_through(rf, settings, caplog, monkeypatch):
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "infra.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    settings.RATELIMIT_USE_CACHE = "down"
    monkeypatch.setattr(ratelimit, "_warned_at", [float("-inf")])
    request = rf.get("/", REMOTE_ADDR="203.0.113.7")
    with caplog.at_level(logging.WARNING, logger="infra.ratelimit"):
        usages = [ratelimit.hit(request, group="g", rate="1/m") for _ in range(3)]
    assert usages == [None, None, None]
    # One warning, not one per request.
    assert caplog.text.count("Rate limit not counted") == 1


def test_the_shared_redis_cache_has_short_timeouts(monkeypatch):
    """A Redis that hangs must not hold every public request (redis-py waits for ever by
    default): certbody's settings give the Redis cache short socket timeouts. (The settings
    module is read again with CACHE_URL set; Django's loaded settings are not touched.)"""
    import importlib

    from certbody.settings import base

    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/9")
    try:
        cache = importlib.reload(base).CACHES["default"]
    finally:
        monkeypatch.undo()
        importlib.reload(base)
    assert cache["BACKEND"] == "infra.cache.RedisCache"
    assert cache["OPTIONS"]["socket_connect_timeout"] <= 1
    assert cache["OPTIONS"]["socket_timeout"] <= 1


# -- batches: each process sends its counts at most every RATELIMIT_SYNC_INTERVAL ------------
ADDRESS = "203.0.113.7"
NOW = 1_000_000.0


@pytest.fixture
def clock(monkeypatch, settings):
    """Wall time fixed inside one window; the monotonic clock moved by the test."""
    settings.RATELIMIT_SYNC_INTERVAL = 10
    monkeypatch.setattr(ratelimit.time, "time", lambda: NOW)
    ticks = [1_000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: ticks[0])

    def advance(seconds):
        ticks[0] += seconds

    return advance


@pytest.fixture
def sends(monkeypatch):
    """Every batch sent to the cache, as {key: hits}."""
    sent = []
    original = ratelimit._send

    def recording(cache, batch):
        sent.append({key: hits for key, (hits, _timeout) in batch.items()})
        return original(cache, batch)

    monkeypatch.setattr(ratelimit, "_send", recording)
    return sent


def key(address=ADDRESS, group="g", period=60):
    return f"rl:{group}:{period}:{address}:{ratelimit._window(address, period, NOW)}"


def in_cache(address=ADDRESS):
    return caches["default"].get(key(address))


def test_far_below_the_limit_hits_go_to_the_cache_in_batches(rf, clock, sends):
    one = rf.get("/", REMOTE_ADDR=ADDRESS)
    other = rf.get("/", REMOTE_ADDR="198.51.100.4")
    first = ratelimit.hit(one, group="g", rate="100/m")  # nothing sent yet: sent at once
    assert first.count == 1 and in_cache() == 1 and len(sends) == 1
    usages = [ratelimit.hit(one, group="g", rate="100/m") for _ in range(4)]
    ratelimit.hit(other, group="g", rate="100/m")
    # Counted in this process, judged on its own total, nothing sent within the interval.
    assert [u.count for u in usages] == [2, 3, 4, 5] and not any(u.limited for u in usages)
    assert in_cache() == 1 and in_cache("198.51.100.4") is None and len(sends) == 1
    clock(10)
    assert ratelimit.hit(one, group="g", rate="100/m").count == 6
    # Every pending hit of every address in one batch.
    assert sends[-1] == {key(): 5, key("198.51.100.4"): 1}
    assert in_cache() == 6 and in_cache("198.51.100.4") == 1


def test_the_next_batch_brings_back_what_other_processes_counted(rf, clock, sends):
    request = rf.get("/", REMOTE_ADDR=ADDRESS)
    ratelimit.hit(request, group="g", rate="100/m")
    caches["default"].incr(key(), 10)  # another web process's batch
    assert ratelimit.hit(request, group="g", rate="100/m").count == 2  # not heard of yet
    clock(10)
    assert ratelimit.hit(request, group="g", rate="100/m").count == 13
    assert in_cache() == 13


def test_near_the_limit_every_hit_is_sent_and_judged_on_the_shared_total(rf, clock, sends):
    """From a quarter of the limit on, no batching: the 429 comes exactly at the limit, also
    when other processes did most of the counting."""
    request = rf.get("/", REMOTE_ADDR=ADDRESS)
    assert ratelimit.hit(request, group="g", rate="20/m").count == 1
    caches["default"].incr(key(), 15)  # other processes: 16 in all
    usages = [ratelimit.hit(request, group="g", rate="20/m") for _ in range(6)]
    # The 2nd to 4th hits wait (this process's estimate, 2-4, is under a quarter of 20); the
    # 5th (estimate 5) goes out at once with them and learns the total: 1 + 15 + 4 = 20, the
    # limit. Every hit after it is sent alone and refused.
    assert [u.count for u in usages] == [2, 3, 4, 20, 21, 22]
    assert [u.limited for u in usages] == [False, False, False, False, True, True]
    assert [sum(batch.values()) for batch in sends] == [1, 4, 1, 1]
    assert in_cache() == 22


def test_no_interval_sends_every_hit(rf, settings, sends):
    settings.RATELIMIT_SYNC_INTERVAL = 0
    request = rf.get("/", REMOTE_ADDR=ADDRESS)
    assert [ratelimit.hit(request, group="g", rate="1000/m").count for _ in range(3)] == [1, 2, 3]
    assert sends == [{k: 1} for k in [next(iter(sends[0]))] * 3]


def test_a_batch_the_cache_may_not_have_taken_is_not_sent_twice(rf, settings, monkeypatch, caplog):
    """After a timeout the script may have run: sending the batch again would count honest
    hits twice (and refuse them later). The request is let through; the batch is not resent."""
    settings.RATELIMIT_SYNC_INTERVAL = 0
    request = rf.get("/", REMOTE_ADDR=ADDRESS)
    original = ratelimit._send
    monkeypatch.setattr(ratelimit, "_warned_at", [float("-inf")])

    def slow(cache, batch):
        original(cache, batch)  # the cache counted it...
        raise TimeoutError("...but the answer came too late")

    monkeypatch.setattr(ratelimit, "_send", slow)
    with caplog.at_level(logging.WARNING, logger="infra.ratelimit"):
        assert [ratelimit.hit(request, group="g", rate="100/m") for _ in range(6)] == [None] * 6
    monkeypatch.setattr(ratelimit, "_send", original)
    assert ratelimit.hit(request, group="g", rate="100/m").count == 7  # each hit once
    assert caplog.text.count("Rate limit not counted") == 1


def test_ended_windows_are_forgotten(rf, clock, monkeypatch):
    request = rf.get("/", REMOTE_ADDR=ADDRESS)
    ratelimit.hit(request, group="g", rate="100/m")
    ratelimit.hit(request, group="g", rate="100/m")
    counts = ratelimit._counts
    assert key() in counts.known and key() in counts.pending
    later = NOW + 60 + ratelimit._EXPIRY_MARGIN + 1
    monkeypatch.setattr(ratelimit.time, "time", lambda: later)
    clock(10)
    ratelimit.hit(request, group="g", rate="100/m")
    assert key() not in counts.known and key() not in counts.pending and key() not in counts.ends
    assert len(counts.ends) == 1  # the new window's


def test_a_forked_process_starts_without_its_parents_counts(rf, clock):
    ratelimit.hit(rf.get("/", REMOTE_ADDR=ADDRESS), group="g", rate="100/m")
    ratelimit.hit(rf.get("/", REMOTE_ADDR=ADDRESS), group="g", rate="100/m")
    assert ratelimit._counts.pending
    pid = os.fork()
    if pid == 0:  # the child: gunicorn's worker after the fork
        os._exit(0 if not ratelimit._counts.pending and not ratelimit._counts.known else 1)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert ratelimit._counts.pending  # the parent's are still there, to be sent by it


def test_threads_lose_no_hit(rf, settings, monkeypatch):
    """gthread workers run requests in threads of one process: 4 x 200 hits, all counted."""
    import threading

    monkeypatch.setattr(ratelimit.time, "time", lambda: NOW)  # one window throughout
    settings.RATELIMIT_SYNC_INTERVAL = 0.001
    request = rf.get("/", REMOTE_ADDR=ADDRESS)

    def repeat():
        for _ in range(200):
            ratelimit.hit(request, group="g", rate="100000/m")

    threads = [threading.Thread(target=repeat) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    settings.RATELIMIT_SYNC_INTERVAL = 0  # the last hit sends whatever is pending
    last = ratelimit.hit(request, group="g", rate="100000/m")
    assert last.count == 801
    assert in_cache() == 801
