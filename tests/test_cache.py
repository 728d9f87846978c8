"""infra.cache.RedisCache: Django's Redis cache contract, one redis-py client per pool, and
the rate limiter's counters (incr_windows: many keys in one atomic round trip). Needs a Redis:
the one CI runs (REDIS_TEST_URL, default redis://127.0.0.1:6379/14); skips on a laptop
without one, fails under CI=true."""

import os
import threading

import pytest
import redis

from infra.cache import RedisCache

URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url(URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis answers at {URL}")
    backend = RedisCache(URL, {"KEY_PREFIX": "certbody-test"})
    backend.clear()
    yield backend
    backend.clear()


def test_add_and_incr_keep_djangos_contract(cache):
    assert cache.add("hits", 0, 60) is True
    assert cache.add("hits", 0, 60) is False  # already there
    assert cache.incr("hits") == 1
    assert cache.incr("hits", 5) == 6
    assert cache.get("hits") == 6
    with pytest.raises(ValueError):
        cache.incr("missing")
    assert cache.get("missing") is None  # incr did not create it


def test_one_client_per_pool(cache):
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client


def four_threads_200_times(operation):
    """Run ``operation`` 200 times in each of 4 threads at once."""

    def repeat():
        for _ in range(200):
            operation()

    threads = [threading.Thread(target=repeat) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_incr_is_atomic_across_threads(cache):
    cache.add("hits", 0, 60)
    four_threads_200_times(lambda: cache.incr("hits"))
    assert cache.get("hits") == 800


def test_incr_window_counts_and_expires_in_one_call(cache):
    assert [cache.incr_window("window", 30) for _ in range(3)] == [1, 2, 3]
    assert cache.get("window") == 3  # readable as Django's own integers
    raw = cache._cache.get_client(write=True)
    key = cache.make_key("window")
    assert 25 <= raw.ttl(key) <= 30  # set by the call that created it, not moved after
    raw.expire(key, 1000)
    cache.incr_window("window", 30)
    assert raw.ttl(key) > 30


@pytest.fixture
def redis_commands(monkeypatch):
    """Record the name of every command redis-py sends from here on."""
    commands = []
    original = redis.Redis.execute_command

    def counted(self, *args, **options):
        commands.append(args[0])
        return original(self, *args, **options)

    def start():
        monkeypatch.setattr(redis.Redis, "execute_command", counted)
        return commands

    return start


def test_incr_windows_adds_to_many_keys_in_one_command(cache, redis_commands):
    """A web process's batch of rate-limit counts: every key in one round trip."""
    cache.incr_window("known", 30)
    raw = cache._cache.get_client(write=True)
    raw.expire(cache.make_key("known"), 1000)
    commands = redis_commands()
    totals = cache.incr_windows({"known": (4, 30), "new": (3, 20), "other": (1, 50)})
    assert totals == {"known": 5, "new": 3, "other": 1}
    assert commands == ["EVALSHA"]
    assert raw.ttl(cache.make_key("known")) > 30  # an existing key keeps its expiry
    assert 15 <= raw.ttl(cache.make_key("new")) <= 20
    assert 45 <= raw.ttl(cache.make_key("other")) <= 50
    assert cache.get("new") == 3
    assert cache.incr_windows({}) == {}


def test_incr_window_is_atomic_across_threads(cache):
    four_threads_200_times(lambda: cache.incr_window("window", 60))
    assert cache.get("window") == 800


def test_rate_limit_counts_through_this_backend(cache, settings, rf, redis_commands):
    from django.core.cache import caches

    from infra import ratelimit

    settings.CACHES = {
        **settings.CACHES,
        "ratelimit-test": {"BACKEND": "infra.cache.RedisCache", "LOCATION": URL},
    }
    settings.RATELIMIT_USE_CACHE = "ratelimit-test"
    caches["ratelimit-test"].clear()
    request = rf.get("/verify/", REMOTE_ADDR="203.0.113.7")
    usages = [ratelimit.hit(request, group="t", rate="3/m") for _ in range(5)]
    assert [u.limited for u in usages] == [False, False, False, True, True]
    assert [u.count for u in usages] == [1, 2, 3, 4, 5]
    assert all(1 <= u.time_left <= 60 for u in usages)
    # One Redis command per request near the limit (the script, by its hash, once Redis
    # knows it).
    commands = redis_commands()
    assert ratelimit.hit(request, group="t", rate="3/m").count == 6
    assert commands == ["EVALSHA"]
    caches["ratelimit-test"].clear()
