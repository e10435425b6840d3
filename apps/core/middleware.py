"""Request id, access log and the health probe."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core import context
from apps.core.net import client_ip

logger = logging.getLogger("clinicops.request")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Accepts a sane ``X-Request-ID`` or makes one, echoes it, and logs the request.

    The access line carries method, path, status and duration, never the query
    string: search terms there can be patient names.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = context.begin(context.RequestContext(request_id=request_id, client_ip=client_ip(request)))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                context.set_user(user.pk)
            response["X-Request-ID"] = request_id
            # Probes hit /health/ every few seconds; keep them out of INFO logs.
            level = logging.DEBUG if request.path in ("/health/", "/health/ready/") else logging.INFO
            logger.log(
                level,
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            context.end(token)


class HealthCheckMiddleware:
    """Serves ``/health/`` and ``/health/ready/`` ahead of host validation and HTTPS redirects.

    Load balancers and Docker's HEALTHCHECK call it with internal host names
    over plain HTTP; the answer must not depend on ALLOWED_HOSTS.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            if request.path == "/health/":
                from apps.core.health import health_response

                return health_response()
            if request.path == "/health/ready/":
                from apps.core.health import ready_response

                return ready_response()
        return self.get_response(request)
