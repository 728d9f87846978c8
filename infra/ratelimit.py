"""Per-address request limits for the public pages, counted in the shared cache in batches.

The public verification pages (certificates/public.py) count every request per client address
in the shared cache, in fixed windows: "100/m" allows 100 requests a minute from one address
(IPv6 addresses counted per /64 network, as one household or phone usually has one), and
answers the 101st with a 429 and the seconds until the window ends.

django-ratelimit did this before (same settings, same windows) with two cache round trips per
request. A round trip per request is still most of what the limit costs: with it off, the public
number lookup served 38-44 % more requests a second (docs/benchmarks.md; why our own limiter:
docs/decisions/003-own-rate-limiter.md). So each web process counts in memory and sends its
counts to the cache in batches, all keys in one round trip (``RedisCache.incr_windows``, one
atomic Lua script), at most every ``RATELIMIT_SYNC_INTERVAL`` seconds; between batches it judges
an address by the total it last read from the cache plus its own hits since. Near the limit it
does not wait: once an address's count reaches a quarter of the limit, every hit from it is sent
at once and judged on the total the cache returns, so an address that runs into the limit is
refused exactly at it (as with one round trip a request). What batching gives up: a client
spreading its first requests over several web processes may get, in one window, up to a quarter
of the limit more per process before each has heard of the others.
``RATELIMIT_SYNC_INTERVAL = 0`` sends every hit at once.

Settings (the names django-ratelimit used):
- ``RATELIMIT_ENABLE`` (default True);
- ``RATELIMIT_IP_META_KEY``: the request.META key holding the client address behind a reverse
  proxy (``DJANGO_REAL_IP_HEADER``; for a list, its last address), else REMOTE_ADDR;
- ``RATELIMIT_USE_CACHE``: the cache alias (default "default");
- ``RATELIMIT_SYNC_INTERVAL``: seconds between a process's batches (default 0.1; 0: none);
- ``RATELIMIT_CACHE_RETRY_AFTER``: seconds the cache is not asked after it timed out (default 5).

A cache that cannot be reached lets the request through and logs a warning (at most once a
minute); the batch it did not take is not sent again (after a timeout the cache may have added
it already): the public check of a certificate stays up when Redis is down. The Redis cache has
short socket timeouts (settings), so a Redis that hangs costs one request about a second. After
such a slow failure the process does not ask the cache again for ``RATELIMIT_CACHE_RETRY_AFTER``
seconds (default 5): meanwhile it counts in memory alone (each process enforces the limit on
what it saw) and its requests wait for nothing; the hits it counted go to the cache with the
next batch. With a Redis that hung, every request took the 1.0 s timeout (about 8 requests a
second for a whole server); now one request in 5 seconds per process does. A failure that is
quick (connection refused) costs nothing and is not waited out: the next batch tries again.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import threading
import time
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Keys outlive their window by a few seconds, so a count is never lost at its edge.
_EXPIRY_MARGIN = 5
# An address whose count reaches limit / _EXACT_FROM is counted with a round trip a hit.
_EXACT_FROM = 4
# A failed send that took at least this long (seconds) was a timeout, not a refusal: the cache is
# then skipped for RATELIMIT_CACHE_RETRY_AFTER seconds instead of paying it at every request.
_SLOW_FAILURE = 0.05


@dataclass(frozen=True, slots=True)
class Usage:
    count: int
    limit: int
    time_left: int  # seconds until the window ends

    @property
    def limited(self) -> bool:
        return self.count > self.limit


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int]:
    """ "100/m" -> (100, 60); "5/10s" -> (5, 10)."""
    try:
        count, _slash, period = rate.partition("/")
        multiple = int(period[:-1]) if len(period) > 1 else 1
        seconds = multiple * _PERIODS[period[-1]]
        limit = int(count)
    except (KeyError, ValueError, IndexError):
        raise ImproperlyConfigured(
            f"Rate limit {rate!r}: write requests/period, e.g. 100/m (periods s, m, h, d)."
        ) from None
    if limit < 0 or seconds <= 0:
        raise ImproperlyConfigured(f"Rate limit {rate!r}: the count and period must be positive.")
    return limit, seconds


def client_address(request) -> str:
    """The client's address: its /64 network for IPv6, the IPv4 address for an IPv4-mapped
    one. Behind a reverse proxy, from RATELIMIT_IP_META_KEY: the last address of a list
    ("client, proxy1" as X-Forwarded-For builds it; the proxy appends what it saw, so the last
    entry is the one the client cannot choose). A value that is not an address counts as
    REMOTE_ADDR (a client must not pick its own bucket)."""
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR"
    raw = request.META.get(meta_key, "")
    address = _ip(raw.rsplit(",", 1)[-1].strip()) or _ip(request.META.get("REMOTE_ADDR", ""))
    if address is None:
        raise ImproperlyConfigured(
            f"request.META[{meta_key!r}] holds no client address ({raw[:60]!r}): behind a "
            "reverse proxy, set DJANGO_REAL_IP_HEADER to the header holding it."
        )
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.version == 6:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address)
    return str(address)


def _ip(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _window(value: str, period: int, now: float) -> int:
    """End of the current window. Windows are staggered per address (as django-ratelimit's),
    so that not every counter resets in the same second."""
    now = int(now)
    offset = zlib.crc32(value.encode()) % period
    start = now - ((now - offset) % period)
    return start + period


_WARN_EVERY = 60  # seconds: one warning a minute per process while the cache is down
_warned_at = [float("-inf")]


def _warn_unavailable(err) -> None:
    now = time.monotonic()
    if now - _warned_at[0] >= _WARN_EVERY:
        _warned_at[0] = now
        logger.warning("Rate limit not counted (cache unavailable): %s", err)


class _Counts:
    """This process's side of the shared counters: per cache key, the total last read from
    the cache and the hits not sent yet. One lock: gthread workers run requests in threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.known: dict[str, int] = {}  # key -> total in the cache, as last read
        self.pending: dict[str, int] = {}  # key -> hits not sent yet
        self.ends: dict[str, int] = {}  # key -> end of its window (its expiry; forgotten after)
        self.sent_at = float("-inf")  # time.monotonic() of the last batch
        self.skip_until = float("-inf")  # time.monotonic() until which the cache is not asked
        self.swept_at = float("-inf")  # time.time() windows were last forgotten

    def take(self, now: float, clock: float) -> dict:
        """The hits to send, as {key: (hits, seconds the key is to live)}; none pending after."""
        batch = {
            key: (hits, max(self.ends[key] - int(now) + _EXPIRY_MARGIN, 1))
            for key, hits in self.pending.items()
        }
        self.pending = {}
        self.sent_at = clock
        return batch

    def forget_ended(self, now: float) -> None:
        """Forget the keys of windows that ended (looked for at most every few seconds)."""
        if now - self.swept_at < _EXPIRY_MARGIN:
            return
        self.swept_at = now
        for key in [key for key, end in self.ends.items() if end + _EXPIRY_MARGIN < now]:
            del self.ends[key]
            self.known.pop(key, None)
            self.pending.pop(key, None)


_counts = _Counts()


def reset_counts():
    """A forked process starts with no counts (its parent sends its own)."""
    global _counts
    _counts = _Counts()


os.register_at_fork(after_in_child=reset_counts)


def _send(cache, batch: dict) -> dict:
    """Add the batch's hits to the shared counters: {key: total}."""
    if hasattr(cache, "incr_windows"):
        return cache.incr_windows(batch)
    totals = {}
    for key, (hits, timeout) in batch.items():
        cache.add(key, 0, timeout)
        totals[key] = cache.incr(key, hits)  # ValueError if the key expired in between
    return totals


def hit(request, *, group: str, rate: str) -> Usage | None:
    """Count this request against ``rate`` for its address in ``group`` and return the
    window's usage; None when rate limiting is off or the cache is unreachable."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    limit, period = parse_rate(rate)
    address = client_address(request)
    now = time.time()
    end = _window(address, period, now)
    key = f"rl:{group}:{period}:{address}:{end}"
    time_left = max(end - int(now), 1)
    interval = getattr(settings, "RATELIMIT_SYNC_INTERVAL", 0.1)
    counts = _counts
    with counts.lock:
        counts.ends.setdefault(key, end)
        hits = counts.pending[key] = counts.pending.get(key, 0) + 1
        estimate = counts.known.get(key, 0) + hits
        clock = time.monotonic()
        if clock < counts.skip_until:
            # The cache timed out a moment ago: judge on this process's counts alone (the hits
            # stay pending and go with the first batch after the pause).
            counts.forget_ended(now)
            return Usage(count=estimate, limit=limit, time_left=time_left)
        if interval > 0 and estimate * _EXACT_FROM < limit and clock - counts.sent_at < interval:
            return Usage(count=estimate, limit=limit, time_left=time_left)
        counts.forget_ended(now)
        batch = counts.take(now, clock)
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    try:
        totals = _send(cache, batch)
    except (RedisError, OSError, ValueError) as err:  # the page still answers
        # The batch is not sent again: after a timeout the cache may well have added it, and
        # adding it twice would refuse honest clients; uncounted is the safe side.
        if time.monotonic() - clock >= _SLOW_FAILURE:  # a timeout: do not wait for it again
            with counts.lock:
                counts.skip_until = time.monotonic() + getattr(
                    settings, "RATELIMIT_CACHE_RETRY_AFTER", 5.0
                )
        _warn_unavailable(err)
        return None
    with counts.lock:
        # The cache's answer is the truth, also when lower (the cache was emptied); a key
        # whose window was forgotten meanwhile (by another thread) stays forgotten.
        for sent_key, total in totals.items():
            if sent_key in counts.ends:
                counts.known[sent_key] = total
        count = counts.known.get(key, 0) + counts.pending.get(key, 0)
    return Usage(count=count, limit=limit, time_left=time_left)
