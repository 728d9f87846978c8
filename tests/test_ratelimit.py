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
    # Behind a proxy: its header, the first address of a list.
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    proxied = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="198.51.100.4, 10.0.0.1")
    assert ratelimit.client_address(proxied) == "198.51.100.4"
    with pytest.raises(ImproperlyConfigured, match="DJANGO_REAL_IP_HEADER"):
        ratelimit.client_address(rf.get("/", REMOTE_ADDR="10.0.0.1"))


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


def test_a_cache_that_cannot_be_reached_lets_the_request_through(rf, settings, caplog):
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "certbody.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    settings.RATELIMIT_USE_CACHE = "down"
    with caplog.at_level(logging.WARNING, logger="certbody.ratelimit"):
        usage = ratelimit.hit(rf.get("/", REMOTE_ADDR="203.0.113.7"), group="g", rate="1/m")
    assert usage is None
    assert "Rate limit not counted" in caplog.text
