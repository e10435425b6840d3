"""DRF throttles over the fail-open cache.

With Redis down the cache returns nothing, so throttles allow: a Redis outage
must not lock every user out. Login lock-out does not depend on this (it is
kept in the database, apps.accounts.lockout).
"""

from typing import Any

from rest_framework import throttling
from rest_framework.request import Request

from apps.core.net import client_ip


class _ProxyAwareIdent:
    """DRF trusts the whole X-Forwarded-For by default; we trust only our proxies."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request) or "unknown"


class UserRateThrottle(_ProxyAwareIdent, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_ProxyAwareIdent, throttling.AnonRateThrottle):
    pass


class LoginRateThrottle(_ProxyAwareIdent, throttling.SimpleRateThrottle):
    """Per-address rate on the token endpoint, in front of the lock-out."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
