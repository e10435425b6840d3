"""A Redis cache that fails open.

Django's RedisCache raises when Redis is down, and so does every view that
touches the cache (throttles included). The cache is an optimisation here:
reads miss and writes are dropped, with a warning, and the request goes on.
"""

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("clinicops.cache")


class FailOpenRedisCache(RedisCache):
    """RedisCache whose failures are logged misses instead of exceptions."""

    def _warn(self, operation: str, exc: Exception) -> None:
        logger.warning("cache unavailable", extra={"operation": operation, "error": type(exc).__name__})

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            self._warn("get", exc)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except RedisError as exc:
            self._warn("get_many", exc)
            return {}

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except RedisError as exc:
            self._warn("set", exc)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except RedisError as exc:
            self._warn("add", exc)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except RedisError as exc:
            self._warn("delete", exc)
            return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except RedisError as exc:
            self._warn("incr", exc)
            raise ValueError("cache unavailable") from exc
