"""certbody.ratelimit: per-address fixed windows for the public pages (memory cache here; the
Redis counter is in tests/test_cache.py, the 429 pages in tests/certificates/)."""

import logging

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

from certbody import ratelimit


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
            "BACKEND": "certbody.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    settings.RATELIMIT_USE_CACHE = "down"
    monkeypatch.setattr(ratelimit, "_warned_at", [float("-inf")])
    request = rf.get("/", REMOTE_ADDR="203.0.113.7")
    with caplog.at_level(logging.WARNING, logger="certbody.ratelimit"):
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
    assert cache["BACKEND"] == "certbody.cache.RedisCache"
    assert cache["OPTIONS"]["socket_connect_timeout"] <= 1
    assert cache["OPTIONS"]["socket_timeout"] <= 1
