"""Per-address request limits for the public pages: one cache round trip a request.

The public verification pages (certificates/public.py) count every request per client address
in the shared cache, in fixed windows: "100/m" allows 100 requests a minute from one address
(IPv6 addresses counted per /64 network, as one household or phone usually has one), and
answers the 101st with a 429 and the seconds until the window ends.

django-ratelimit did this before (same settings, same windows): it spends two cache round trips
per request (``add``, then ``incr``), a quarter of a number lookup's time under load
(docs/benchmarks.md, issue 4). Here the count goes up in one: ``RedisCache.incr_window``
(certbody/cache.py, an atomic Lua INCR + EXPIRE); other cache backends (the development
server's memory cache) use add + incr.

Settings (the names django-ratelimit used):
- ``RATELIMIT_ENABLE`` (default True);
- ``RATELIMIT_IP_META_KEY``: the request.META key holding the client address behind a reverse
  proxy (``DJANGO_REAL_IP_HEADER``; for a list, its last address), else REMOTE_ADDR;
- ``RATELIMIT_USE_CACHE``: the cache alias (default "default").

A cache that cannot be reached lets the request through and logs a warning (at most once a
minute): the public check of a certificate stays up when Redis is down. The Redis cache has
short socket timeouts (settings), so a Redis that hangs costs a request at most about a second.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
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
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    timeout = end - int(now) + _EXPIRY_MARGIN
    try:
        if hasattr(cache, "incr_window"):
            count = cache.incr_window(key, timeout)
        else:
            cache.add(key, 0, timeout)
            count = cache.incr(key)  # ValueError if the key expired in between
    except (RedisError, OSError, ValueError) as err:  # the page still answers
        _warn_unavailable(err)
        return None
    return Usage(count=count, limit=limit, time_left=max(end - int(now), 1))
