"""The endpoints the suite measures, and sample requests for each, drawn from the loaded data."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from bench.data import Dataset, typo


@dataclass(frozen=True)
class Sample:
    method: str
    path: str
    clinic: str  # requests are made as this clinic's owner ("" = anonymous)
    body: str | None = None


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    read: bool = True  # read endpoints get the pgbench and minimal-app baselines


ENDPOINTS = [
    Endpoint("health", "GET /health/"),
    Endpoint("me", "GET auth/me/"),
    Endpoint("search_typo", "patient search, typo"),
    Endpoint("search_phone", "patient search, phone"),
    Endpoint("patient_list", "patient list, page 1"),
    Endpoint("patient_detail", "patient detail"),
    Endpoint("appointments_week", "practitioner's week"),
    Endpoint("slots_day", "free slots, one day"),
    Endpoint("invoice_list", "invoice list"),
    Endpoint("revenue_month", "revenue report, a month"),
    Endpoint("patient_create", "create patient (write)", read=False),
]
BY_KEY = {e.key: e for e in ENDPOINTS}


def _get(path: str, params: dict[str, str] | None = None) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def samples(data: Dataset, key: str, count: int, seed: int) -> list[Sample]:
    """``count`` requests of endpoint ``key``: random clinics, terms, ids and dates from ``data``."""
    rng = random.Random(f"{seed}-{key}")
    clinics = [c.id for c in data.clinics]
    people = data.patient_sample
    first_day, last_day = (date.fromisoformat(d) for d in data.appointment_days)
    today = date.today()
    out: list[Sample] = []
    for _ in range(count):
        clinic = rng.choice(clinics)
        person = rng.choice(people)
        if key == "health":
            out.append(Sample("GET", "/health/", ""))
        elif key == "me":
            out.append(Sample("GET", "/api/v1/auth/me/", clinic))
        elif key == "search_typo":
            _, cid, given, family, _ = person
            text = f"{typo(given, rng)} {typo(family, rng)}"
            out.append(Sample("GET", _get("/api/v1/patients/", {"clinic": cid, "search": text}), cid))
        elif key == "search_phone":
            _, cid, _, _, phone = person
            spaced = f"{phone[:3]} {phone[3:5]} {phone[5:]}"  # "+49 30 10000123", as typed
            out.append(Sample("GET", _get("/api/v1/patients/", {"clinic": cid, "search": spaced}), cid))
        elif key == "patient_list":
            out.append(Sample("GET", _get("/api/v1/patients/", {"clinic": clinic}), clinic))
        elif key == "patient_detail":
            pid, cid, *_ = person
            out.append(Sample("GET", f"/api/v1/patients/{pid}/", cid))
        elif key == "appointments_week":
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=rng.randrange(-8, 3))
            monday = min(max(monday, first_day), last_day)
            params = {
                "clinic": clinic,
                "practitioner": rng.choice(data.practitioners[clinic]),
                "date_from": monday.isoformat(),
                "date_to": (monday + timedelta(days=6)).isoformat(),
                "page_size": "100",
            }
            out.append(Sample("GET", _get("/api/v1/appointments/", params), clinic))
        elif key == "slots_day":
            day = today + timedelta(days=rng.randrange(1, max(2, (last_day - today).days + 1)))
            while day.weekday() >= 5:
                day += timedelta(days=1)
            params = {
                "clinic": clinic,
                "practitioner": rng.choice(data.practitioners[clinic]),
                "date_from": day.isoformat(),
                "date_to": day.isoformat(),
            }
            out.append(Sample("GET", _get("/api/v1/slots/", params), clinic))
        elif key == "invoice_list":
            out.append(Sample("GET", _get("/api/v1/invoices/", {"clinic": clinic}), clinic))
        elif key == "revenue_month":
            month = date(2026, 10, 1)
            for _ in range(rng.randrange(0, 22)):
                month = (month - timedelta(days=1)).replace(day=1)
            last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            params = {"clinic": clinic, "from": month.isoformat(), "to": last.isoformat()}
            out.append(Sample("GET", _get("/api/v1/reports/revenue/", params), clinic))
        elif key == "patient_create":
            body = (
                f'{{"clinic": "{clinic}", "given_name": "Bench{{rand}}", "family_name": "Load{{rand}}", '
                f'"date_of_birth": "{{dob}}", "sex": "unknown"}}'
            )
            out.append(Sample("POST", "/api/v1/patients/", clinic, body))
        else:  # pragma: no cover
            raise KeyError(key)
    return out


def concrete_body(body: str, rng: random.Random) -> str:
    """What wrk.lua does to a body template, for requests sent from Python."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    while "{rand}" in body:
        body = body.replace("{rand}", "".join(rng.choice(letters) for _ in range(8)), 1)
    dob = date(rng.randint(1935, 2015), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
    return body.replace("{dob}", dob)
