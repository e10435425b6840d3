"""Request metrics: count, latency and SQL statements per route template."""

import time
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection
from django.http import HttpRequest, HttpResponse

from apps.observability import metrics

# Requests that matched no URL pattern share one label, so scanners probing
# random paths cannot grow the label set.
UNMATCHED_ROUTE = "<unmatched>"


class _StatementCounter:
    """A database execute wrapper that only counts."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Sequence[Any], many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def route_of(request: HttpRequest) -> str:
    """The URL pattern that served ``request`` (``api/v1/patients/<pk>/``), never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED_ROUTE
    return "/" + match.route.lstrip("^").replace("$", "")


class MetricsMiddleware:
    """Records every request the URL map serves; off (not loaded) while METRICS_TOKEN is unset.

    It also answers ``/metrics/`` itself, like the health probes, ahead of host
    validation and the HTTPS redirect: Prometheus scrapes each instance by
    its internal address over plain HTTP. The bearer token is the guard.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.METRICS_TOKEN:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/metrics/":
            from apps.observability.views import metrics_view

            return metrics_view(request)
        statements = _StatementCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(statements):
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        method = request.method or "OTHER"
        metrics.http_requests.labels(route=route, method=method, status=str(response.status_code)).inc()
        metrics.http_request_duration.labels(route=route, method=method).observe(elapsed)
        metrics.http_request_sql_statements.labels(route=route).observe(statements.count)
        return response
