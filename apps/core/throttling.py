"""Throttles in one Redis round trip, failing open behind a short circuit breaker.

DRF's throttles read the request history from the cache and write it back:
two round trips a request, and with Redis hung, two timeouts. Here the same
rates (``DEFAULT_THROTTLE_RATES``) and the same sliding window are one Lua
script (EVALSHA) over a sorted set of request times per caller.

Redis is an optimisation for throttling, not a dependency of the API: when it
is down or hung the request is allowed, and the breaker then skips Redis for
``THROTTLE_BREAKER_SECONDS``, so a hung Redis costs one timeout once per
process and window, not one per request. After the window one request probes
Redis while the others keep skipping it. Login lock-out does not depend on
this (it is kept in the database, apps.accounts.lockout).

Without a Redis cache (the laptop default, locmem) DRF's own cache path runs.
"""

import hashlib
import logging
import os
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import throttling
from rest_framework.request import Request

from apps.core.net import client_ip

logger = logging.getLogger("clinicops.throttling")

# KEYS[1] the caller's window; ARGV: now (ms), window (ms), limit, a unique member.
# Integers only: Redis truncates Lua numbers in replies.
SLIDING_WINDOW_LUA = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) or now}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return {1, count + 1}
"""
SLIDING_WINDOW_SHA = hashlib.sha1(SLIDING_WINDOW_LUA.encode()).hexdigest()  # noqa: S324 - Redis names scripts so


class _Breaker:
    """Closed (use Redis), open until a time (skip it), then one probe at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_until = 0.0

    def allows(self) -> bool:
        with self._lock:
            if self._open_until == 0.0:
                return True
            now = time.monotonic()
            if now < self._open_until:
                return False
            # Half-open: this request probes; the others skip Redis meanwhile.
            self._open_until = now + breaker_seconds()
            return True

    def succeeded(self) -> None:
        if self._open_until:
            with self._lock:
                self._open_until = 0.0

    def failed(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + breaker_seconds()

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


breaker = _Breaker()


def breaker_seconds() -> float:
    return float(settings.THROTTLE_BREAKER_SECONDS)


def _redis_client() -> Any:
    """The default cache's redis-py client (its pool and short timeouts), or None without Redis."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None
    return cache._cache.get_client(write=True)


def window_hit(*, key: str, limit: int, window_seconds: int) -> tuple[bool, float] | None:
    """Count one request in ``key``'s window: (allowed, wait seconds), or None when Redis is unavailable.

    One round trip (EVALSHA; the script is loaded once more after a Redis restart).
    """
    client = _redis_client()
    if client is None or not breaker.allows():
        return None
    now_ms = int(time.time() * 1000)
    window_ms = window_seconds * 1000
    args = [now_ms, window_ms, limit, f"{now_ms}-{os.urandom(6).hex()}"]
    try:
        try:
            allowed, value = client.evalsha(SLIDING_WINDOW_SHA, 1, key, *args)
        except NoScriptError:
            allowed, value = client.eval(SLIDING_WINDOW_LUA, 1, key, *args)
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        breaker.failed()
        logger.warning("throttle store unavailable; allowing", extra={"error": type(exc).__name__})
        return None
    except RedisError as exc:
        logger.warning("throttle store error; allowing", extra={"error": type(exc).__name__})
        return None
    breaker.succeeded()
    if int(allowed):
        return True, 0.0
    return False, max(0.0, (int(value) + window_ms - now_ms) / 1000)


class _ProxyAwareIdent:
    """DRF trusts the whole X-Forwarded-For by default; we trust only our proxies."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request) or "unknown"


class _OneRoundTripThrottle(_ProxyAwareIdent, throttling.SimpleRateThrottle):
    """SimpleRateThrottle's rates and window, counted by one Lua call instead of a get and a set."""

    _wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        if _redis_client() is None:
            return super().allow_request(request, view)  # locmem: DRF's own path, no network
        limit, window_seconds = self.parse_rate(self.rate)
        if limit is None or window_seconds is None:
            return True
        outcome = window_hit(key=f"clinicops:{key}", limit=limit, window_seconds=window_seconds)
        if outcome is None:
            return True  # fail open
        allowed, self._wait = outcome
        return allowed

    def wait(self) -> float | None:
        if self._wait is not None:
            return self._wait
        return super().wait()


class UserRateThrottle(_OneRoundTripThrottle):
    """Per signed-in user. Anonymous callers are left to AnonRateThrottle (stricter), so each request costs one trip."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_OneRoundTripThrottle):
    """Per client address, for anonymous callers only."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginRateThrottle(_OneRoundTripThrottle):
    """Per-address rate on the token endpoint, in front of the lock-out."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
