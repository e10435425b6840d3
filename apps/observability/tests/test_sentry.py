"""Sentry events leave without patient data: a local server captures the real envelope."""

import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sentry_sdk

from apps.observability import sentry

pytestmark = pytest.mark.django_db

GIVEN, FAMILY = "Zebulon", "Quuxleyworth"
PHONE, EMAIL = "+14155550199", "zebulon.quux@example.org"
SEARCH = "Quuxleysearch"
# Module constants, so the stack's source context (code lines around the raise) does not repeat them.
COOKIE = "cookie-secret-value"


class CaptureServer:
    """An HTTP server on a free port that keeps every request body (decompressed)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.received = threading.Event()
        bodies, received = self.bodies, self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    raw = gzip.decompress(raw)
                elif encoding == "deflate":
                    raw = zlib.decompress(raw)
                elif encoding == "br":
                    import brotli

                    raw = brotli.decompress(raw)
                bodies.append(raw)
                received.set()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server.server_address[1]}/1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def capture():
    with CaptureServer() as server:
        assert sentry.init_sentry(server.dsn)
        try:
            yield server
        finally:
            sentry_sdk.init()  # no DSN: the SDK is off again for the other tests


def events_of(bodies: list[bytes]) -> list[dict]:
    events = []
    for body in bodies:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_an_unhandled_error_reaches_sentry_without_patient_data(capture, as_user, clinic, monkeypatch):
    from apps.patients import services

    def failing_create(**kwargs):
        patient_name = kwargs.get("given_name")  # a local variable holding PHI
        raise RuntimeError(f"insert failed\nDETAIL: Key (phone)=({PHONE}) for {patient_name} already exists.")

    monkeypatch.setattr(services, "patient_create", failing_create)
    client = as_user(clinic.staff["owner"])
    client.cookies["sessionid"] = COOKIE
    response = client.post(
        f"/api/v1/patients/?search={SEARCH}",
        {
            "clinic": str(clinic.pk),
            "given_name": GIVEN,
            "family_name": FAMILY,
            "date_of_birth": "1980-02-03",
            "sex": "female",
            "phone": PHONE,
            "email": EMAIL,
        },
        format="json",
        HTTP_X_REQUEST_ID="req-sentry-1",
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    assert capture.received.wait(5), "no envelope reached the capture server"

    raw = b"\n".join(capture.bodies)
    for secret in (GIVEN, FAMILY, PHONE, EMAIL, SEARCH, "search=", COOKIE, "Bearer "):
        assert secret.encode() not in raw, secret

    events = events_of(capture.bodies)
    assert events, raw[:500]
    event = events[0]
    # What operators need is still there.
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["exception"]["values"][-1]["value"] == "insert failed"
    assert event["transaction"] == "/api/v1/patients/"
    assert "?" not in event.get("request", {}).get("url", "")
    # The staff member's id (not a patient's data) says whom to ask.
    assert event["user"] == {"id": str(clinic.staff["owner"].pk)}
    assert event["tags"]["request_id"] == "req-sentry-1"


def test_before_send_scrubs_what_the_integrations_might_add():
    event = {
        "request": {
            "url": "https://api.example/api/v1/patients/?search=Smith",
            "query_string": "search=Smith",
            "data": {"given_name": "Ann"},
            "cookies": {"sessionid": "x"},
            "headers": {"Authorization": "Bearer abc", "User-Agent": "curl", "X-Patient": "Ann"},
            "env": {"REMOTE_ADDR": "10.0.0.1"},
        },
        "user": {"id": 5, "email": "a@b.c", "username": "ann", "ip_address": "10.0.0.1"},
        "extra": {"patient": "Ann"},
        "breadcrumbs": {"values": [{"category": "query", "data": {"db.params": ["Ann"]}}]},
    }
    scrubbed = sentry.before_send(event, {})
    assert scrubbed is not None
    request = scrubbed["request"]
    assert request["url"] == "https://api.example/api/v1/patients/"
    assert request["query_string"] == request["data"] == request["cookies"] == request["env"] == "[Filtered]"
    assert request["headers"] == {"Authorization": "[Filtered]", "User-Agent": "curl", "X-Patient": "[Filtered]"}
    assert scrubbed["user"] == {"id": 5}
    assert "extra" not in scrubbed
    assert scrubbed["breadcrumbs"]["values"][0]["data"] == {}


def test_sentry_is_off_without_a_dsn(settings):
    settings.SENTRY_DSN = ""
    assert sentry.init_sentry() is False
