"""certbody.cache.RedisCache: Django's Redis cache contract, one redis-py client per pool, and
what django-ratelimit needs (add, then an atomic incr). Needs a Redis: the one CI runs
(REDIS_TEST_URL, default redis://127.0.0.1:6379/14); skips on a laptop without one, fails
under CI=true."""

import os
import threading

import pytest
import redis

from certbody.cache import RedisCache

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


def test_incr_is_atomic_across_threads(cache):
    cache.add("hits", 0, 60)

    def hit():
        for _ in range(200):
            cache.incr("hits")

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.get("hits") == 800


def test_ratelimit_counts_through_this_backend(cache, settings, rf):
    from django.core.cache import caches
    from django_ratelimit.core import is_ratelimited

    settings.CACHES = {
        **settings.CACHES,
        "ratelimit-test": {"BACKEND": "certbody.cache.RedisCache", "LOCATION": URL},
    }
    settings.RATELIMIT_USE_CACHE = "ratelimit-test"
    caches["ratelimit-test"].clear()
    request = rf.get("/verify/", REMOTE_ADDR="203.0.113.7")
    limited = [
        is_ratelimited(request, group="t", key="ip", rate="3/m", increment=True) for _ in range(5)
    ]
    assert limited == [False, False, False, True, True]
    caches["ratelimit-test"].clear()
