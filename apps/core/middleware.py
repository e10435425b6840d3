"""Request id, access log, the health probe, the query-string guard and the security headers."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

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


API_PREFIX = "/api/"
# What a JSON API needs from a browser: nothing. No scripts, no styles, no framing.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Paths that render HTML and keep the admin's policy (settings.CONTENT_SECURITY_POLICY).
_HTML_PATHS = ("/api/docs/",)


class QueryStringGuardMiddleware:
    """A NUL anywhere in the query string of an API request is a 400, before any view parses it.

    PostgreSQL refuses NUL in text, so a search or filter carrying one used to
    fail deep in the database driver (a 500). No legitimate parameter holds one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            bad = sorted(
                {name for name, values in request.GET.lists() if "\x00" in name or any("\x00" in v for v in values)}
            )
            if bad:
                from apps.core.errors import error_body

                names = [name.replace("\x00", "\\0") for name in bad]
                body = error_body(
                    "invalid_query",
                    "Query parameters must not contain NUL characters.",
                    {name: ["Must not contain NUL characters."] for name in names},
                )
                return JsonResponse(body, status=400)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """The headers that make API answers safe to hand to a browser, on every answer including /health/.

    * every /api/v1/ answer (patient data, tokens) is ``Cache-Control: no-store``:
      no shared or browser cache keeps a copy;
    * JSON and API answers get a CSP that allows nothing (``default-src 'none'``);
      the admin and the Swagger UI keep the admin's own policy;
    * /health/ is answered by HealthCheckMiddleware before SecurityMiddleware
      runs, so the headers SecurityMiddleware would add are added here
      (``setdefault``: where it did run, its values stand).

    Sits outside HealthCheckMiddleware and django-csp's middleware, so it sees their answers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path
        if path.startswith("/api/v1/"):
            response["Cache-Control"] = "no-store"
        json_like = response.get("Content-Type", "").startswith("application/json")
        if (path.startswith(API_PREFIX) or path == "/health/" or json_like) and not path.startswith(_HTML_PATHS):
            response["Content-Security-Policy"] = API_CSP
        if path == "/health/":
            response.setdefault("Cache-Control", "no-store")
        self._security_defaults(request, response)
        return response

    @staticmethod
    def _security_defaults(request: HttpRequest, response: HttpResponse) -> None:
        from django.conf import settings

        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            response.setdefault("X-Content-Type-Options", "nosniff")
        if settings.SECURE_REFERRER_POLICY:
            response.setdefault("Referrer-Policy", str(settings.SECURE_REFERRER_POLICY))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            response.setdefault("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)
        response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        if settings.SECURE_HSTS_SECONDS and request.is_secure():
            hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                hsts += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                hsts += "; preload"
            response.setdefault("Strict-Transport-Security", hsts)
