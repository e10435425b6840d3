"""What the rehearsal and the image test ask of a running ClinicOps: the API
flows, the Beat-to-worker round trip, static files and security headers.

Every check returns (ok, detail). Details carry statuses, ids and header
values, never patient data: the synthetic patient's fields are not printed.
"""

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import redis

from deploy.harness import request

Check = tuple[bool, str]

# manage.py shell -c programs; their inputs come from the environment, not string formatting.
CREATE_USER = (
    "import os; from django.contrib.auth import get_user_model; "
    "get_user_model().objects.create_user(email=os.environ['PROBE_EMAIL'], password=os.environ['PROBE_PASSWORD'])"
)
# Beat's DatabaseScheduler notices new rows on its next tick (at most 5 s).
SCHEDULE_EVERY_SECOND = (
    "from django_celery_beat.models import IntervalSchedule, PeriodicTask; "
    "every, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS); "
    "PeriodicTask.objects.update_or_create(name='deploy-check-every-second', "
    "defaults={'task': 'apps.accounts.tasks.flush_expired_tokens', 'interval': every, 'enabled': True})"
)
UNSCHEDULE = (
    "from django_celery_beat.models import PeriodicTask; "
    "PeriodicTask.objects.filter(name='deploy-check-every-second').update(enabled=False)"
)
BEAT_TASK = "apps.accounts.tasks.flush_expired_tokens"
_SUCCEEDED = re.compile(re.escape(BEAT_TASK) + r"\[([0-9a-f-]{36})\] succeeded")


@dataclass
class Credentials:
    email: str
    password: str

    @classmethod
    def new(cls) -> "Credentials":
        return cls(f"deploy-check-{secrets.token_hex(4)}@clinicops.test", secrets.token_urlsafe(18))

    def env(self) -> dict[str, str]:
        return {"PROBE_EMAIL": self.email, "PROBE_PASSWORD": self.password}


def login(port: int, credentials: Credentials) -> tuple[str | None, str]:
    response = request(
        port, "POST", "/api/v1/auth/token/", body={"email": credentials.email, "password": credentials.password}
    )
    data = response.json() if response.status == 200 else {}
    access = data.get("access") if isinstance(data, dict) else None
    if response.status != 200 or not access or not data.get("refresh"):
        return None, f"POST auth/token/ -> {response.status}"
    me = request(port, "GET", "/api/v1/auth/me/", headers={"Authorization": f"Bearer {access}"})
    if me.status != 200 or me.json().get("email") != credentials.email:
        return None, f"GET auth/me/ with the access token -> {me.status}"
    return access, "auth/token/ 200 with access+refresh; auth/me/ 200 as that user"


@dataclass
class Records:
    clinic: str
    patient: str


def create_clinic_and_patient(port: int, access: str) -> tuple[bool, str, Records | None]:
    auth = {"Authorization": f"Bearer {access}"}
    clinic = request(
        port,
        "POST",
        "/api/v1/clinics/",
        body={"name": f"Deploy check {secrets.token_hex(3)}", "time_zone": "Europe/Berlin", "currency": "EUR"},
        headers=auth,
    )
    if clinic.status != 201:
        return False, f"POST clinics/ -> {clinic.status}", None
    clinic_id = clinic.json()["id"]
    # Synthetic, obviously fake demographics; never printed.
    patient = request(
        port,
        "POST",
        "/api/v1/patients/",
        body={
            "clinic": clinic_id,
            "given_name": "Rehearsal",
            "family_name": f"Probe{secrets.token_hex(3)}",
            "date_of_birth": "1980-02-29",
            "sex": "unknown",
            # London's range reserved for drama (020 7946 0xxx): valid, and nobody's.
            "phone": "+442079460123",
        },
        headers=auth,
    )
    if patient.status != 201:
        error = patient.json() if patient.body.startswith(b"{") else {}
        # The error code and field names only; field messages may echo the values.
        fields = sorted(error.get("fields") or {})
        return False, f"clinics/ 201, POST patients/ -> {patient.status} {error.get('code')} {fields}", None
    patient_id = patient.json()["id"]
    fetched = request(port, "GET", f"/api/v1/patients/{patient_id}/", headers=auth)
    detail = f"clinics/ 201, patients/ 201, patients/{{id}}/ {fetched.status}"
    return fetched.status == 200, detail, Records(clinic_id, patient_id)


def invoice_pdf(port: int, access: str, records: Records) -> Check:
    """An invoice PDF renders, with DejaVu (for a glyph outside Latin-1) and WenQuanYi (for Chinese) embedded."""
    auth = {"Authorization": f"Bearer {access}"}
    line = {"description": "Konsultation, Łódź, 诊疗", "quantity": "1", "unit_price": "50.00", "tax_rate": "0"}
    invoice = request(
        port,
        "POST",
        "/api/v1/invoices/",
        body={"clinic": records.clinic, "patient": records.patient, "lines": [line]},
        headers=auth,
    )
    if invoice.status != 201:
        return False, f"POST invoices/ -> {invoice.status}"
    pdf = request(
        port, "GET", f"/api/v1/invoices/{invoice.json()['id']}/pdf/", headers=auth | {"Accept": "application/pdf"}
    )
    embedded = b"DejaVu" in pdf.body
    cjk = b"WenQuanYi" in pdf.body
    ok = pdf.status == 200 and pdf.body.startswith(b"%PDF") and embedded and cjk
    return ok, f"invoices/ 201, pdf/ {pdf.status}, {len(pdf.body)} bytes, DejaVu embedded: {embedded}, WenQuanYi: {cjk}"


def beat_task_executed(worker_log: Callable[[], str], redis_url: str) -> Check:
    """The worker's log names a succeeded run, and the result backend holds SUCCESS for that id."""
    match = _SUCCEEDED.search(worker_log())
    if not match:
        return False, f"no '{BEAT_TASK}[...] succeeded' in the worker log"
    task_id = match.group(1)
    client = redis.Redis.from_url(redis_url)
    try:
        raw = client.get(f"celery-task-meta-{task_id}")
    finally:
        client.close()
    if raw is None:
        return False, f"task {task_id} logged as succeeded but no result in Redis"
    status = json.loads(raw).get("status")
    return status == "SUCCESS", f"Beat sent it, worker ran it: task {task_id[:8]}… result {status}"


def static_file(port: int, hashed_name: str) -> Check:
    response = request(
        port, "GET", f"/static/{hashed_name}", headers={"Accept-Encoding": "br, gzip", "Accept": "text/css"}
    )
    encoding = response.headers.get("content-encoding", "")
    cache = response.headers.get("cache-control", "")
    max_age = re.search(r"max-age=(\d+)", cache)
    ok = (
        response.status == 200
        and encoding in {"gzip", "br"}
        and max_age is not None
        and int(max_age.group(1)) >= 365 * 24 * 3600
        and "immutable" in cache
    )
    return ok, f"{response.status}, Content-Encoding: {encoding or '-'}, Cache-Control: {cache or '-'}"


EXPECTED_HEADERS = {
    "strict-transport-security": "max-age=",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
# JSON answers get the strict policy and no-store; the admin keeps its own page policy.
EXPECTED_BY_PATH = {
    "/api/v1/auth/me/": {"content-security-policy": "default-src 'none'", "cache-control": "no-store"},
    "/admin/login/": {"content-security-policy": "default-src 'self'"},
}


def security_headers(port: int) -> Check:
    """Over 'HTTPS' (X-Forwarded-Proto) the API and the admin carry the hardening headers."""
    missing: list[str] = []
    for path in ("/api/v1/auth/me/", "/admin/login/"):
        response = request(port, "GET", path, headers={"Accept": "text/html,application/json"})
        if path == "/admin/login/" and response.status != 200:
            missing.append(f"{path} answered {response.status}")
        for name, expected in {**EXPECTED_HEADERS, **EXPECTED_BY_PATH[path]}.items():
            if expected not in response.headers.get(name, ""):
                missing.append(f"{path} {name}")
    if missing:
        return False, "missing or wrong: " + ", ".join(missing)
    hsts = request(port, "GET", "/admin/login/").headers["strict-transport-security"]
    return True, f"HSTS '{hsts}', nosniff, same-origin, CSP (strict on JSON), no-store on the API, DENY"


def plain_http_redirects(port: int) -> Check:
    response = request(port, "GET", "/api/v1/auth/me/", https=False)
    location = response.headers.get("location", "")
    health = request(port, "GET", "/health/", https=False, headers={"Host": "web.railway.internal:8080"})
    ok = response.status == 301 and location.startswith("https://") and health.status == 200
    return ok, f"API over http -> {response.status} {location}; /health/ over http, internal Host -> {health.status}"
