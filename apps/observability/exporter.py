"""A tiny token-protected HTTP server for processes without Django's URL map (the Celery worker)."""

import hmac
import threading
from collections.abc import Iterable
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CONTENT_TYPE_LATEST


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every few seconds would flood the worker's log."""


def metrics_app(token: str) -> WSGIApplication:
    """A WSGI app answering the scrape with a bearer token, 401/403 otherwise."""
    from apps.observability import metrics

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        scheme, _, given = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b""]
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            start_response("403 Forbidden", [])
            return [b""]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [metrics.scrape()]

    return app


def serve_metrics_in_thread(*, port: int, token: str, host: str = "0.0.0.0") -> threading.Thread:  # noqa: S104
    """Starts the server on a daemon thread and returns it."""
    server = make_server(host, port, metrics_app(token), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True)
    thread.start()
    return thread
