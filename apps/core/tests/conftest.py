"""Fixtures of the core tests: a private Redis that the settings (cache, throttle, health) point at."""

import shutil

import pytest

from apps.core.tests.redis_server import PrivateRedis


@pytest.fixture
def private_redis(settings):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.FailOpenRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield server
    server.stop()
