"""The client's address, honouring only as many proxies as we actually run behind."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address our trusted proxies saw in X-Forwarded-For.

    Each proxy appends the peer it saw, so with N trusted proxies the client is
    the N-th entry from the right; anything left of it is client-supplied.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops <= 0 or not forwarded:
        return remote
    chain = [part.strip() for part in forwarded.split(",") if part.strip()]
    if len(chain) < hops:
        return remote
    return chain[-hops]
