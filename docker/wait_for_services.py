"""Wait until PostgreSQL and Redis accept connections, for at most --timeout seconds.

Used by entrypoint.sh before any role starts, so a container that comes up
before its database (compose, a restarted host) waits instead of crashing
into a restart loop. It prints host and port only: URLs carry passwords.
"""

import argparse
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

# dj-database-url aliases that libpq does not know.
_POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or ''}".rstrip(":")


def database_error(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in _POSTGRES_SCHEMES:
        return None  # SQLite and friends need no waiting
    try:
        psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), connect_timeout=3).close()
    except psycopg.Error as exc:
        return type(exc).__name__
    return None


def redis_error(url: str) -> str | None:
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        return type(exc).__name__
    finally:
        client.close()
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before giving up (default 60)")
    args = parser.parse_args()

    checks = []
    if database_url := os.environ.get("DATABASE_URL"):
        checks.append(("PostgreSQL", database_url, database_error))
    if redis_url := os.environ.get("REDIS_URL"):
        checks.append(("Redis", redis_url, redis_error))

    deadline = time.monotonic() + args.timeout
    for name, url, probe in checks:
        while (error := probe(url)) is not None:
            if time.monotonic() >= deadline:
                print(f"wait: {name} at {_where(url)} still unreachable ({error}) after {args.timeout:.0f}s")
                return 1
            time.sleep(1)
        print(f"wait: {name} at {_where(url)} is up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
