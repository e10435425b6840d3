"""Sentry error tracking, with patient data kept out of every event.

On when SENTRY_DSN is set. What leaves the process: the exception type, a
scrubbed message, the stack (file, function, line; no local variables), the
route, method and response status, the request id, and the user's id. What
never does: request bodies, query strings, cookies, headers other than a few
harmless ones, user fields other than the id, SQL parameters, the text of
database errors after their first line (PostgreSQL's DETAIL repeats the
offending values).
"""

from typing import Any

from django.conf import settings

from apps.core import context

# Headers that describe the client, not the patient or the caller's secrets.
_KEPT_HEADERS = {"accept", "content-type", "content-length", "host", "user-agent", "x-request-id"}
_FILTERED = "[Filtered]"


def _scrub_request(request: dict[str, Any]) -> None:
    for key in ("data", "cookies", "env"):
        if key in request:
            request[key] = _FILTERED
    if request.get("query_string"):
        request["query_string"] = _FILTERED
    url = request.get("url")
    if isinstance(url, str) and "?" in url:
        request["url"] = url.split("?", 1)[0]
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: value if name.lower() in _KEPT_HEADERS else _FILTERED for name, value in headers.items()
        }


def _scrub_exceptions(event: dict[str, Any]) -> None:
    for exception in (event.get("exception") or {}).get("values") or []:
        value = exception.get("value")
        if isinstance(value, str):
            # The first line names the failure; later lines (DETAIL, context) carry values.
            exception["value"] = value.splitlines()[0][:200] if value else value
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    """The last look at an event before it leaves: strip anything that could be PHI."""
    request = event.get("request")
    if isinstance(request, dict):
        _scrub_request(request)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    ctx = context.current()
    if ctx.user_id and not event.get("user"):
        # The staff member's id only (send_default_pii is off, so the SDK adds none).
        event["user"] = {"id": ctx.user_id}
    _scrub_exceptions(event)
    event.pop("extra", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict):
        for crumb in breadcrumbs.get("values") or []:
            _scrub_breadcrumb(crumb)
    if ctx.request_id:
        event.setdefault("tags", {})["request_id"] = ctx.request_id
    return event


def _scrub_breadcrumb(crumb: dict[str, Any]) -> dict[str, Any]:
    data = crumb.get("data")
    if isinstance(data, dict):
        # SQL parameters and HTTP query strings; the statement text keeps its placeholders.
        for key in ("params", "db.params", "http.query", "http.fragment"):
            data.pop(key, None)
        if "url" in data and isinstance(data["url"], str):
            data["url"] = data["url"].split("?", 1)[0]
    return crumb


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    return _scrub_breadcrumb(crumb)


def init_sentry(dsn: str | None = None) -> bool:
    """Starts the SDK when a DSN is configured; returns whether it did."""
    dsn = dsn if dsn is not None else settings.SENTRY_DSN
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=settings.SENTRY_ENVIRONMENT,
        release=settings.SENTRY_RELEASE,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        before_send=before_send,  # type: ignore[arg-type]
        before_send_transaction=before_send,  # type: ignore[arg-type]
        before_breadcrumb=before_breadcrumb,
        integrations=[DjangoIntegration(transaction_style="url"), CeleryIntegration()],
    )
    return True
