"""The floor of framework cost: a minimal WSGI app serving the same SQL as the same JSON.

Plain Python, a psycopg connection pool and orjson; no Django. For each
sample request the suite captured from Django the statements it sent to
PostgreSQL (``plan.json``, keyed by path and query string); this app checks
the bearer token (HS256, the same secret), runs those statements (BEGIN and
COMMIT included, fresh values for the audit chain's unique columns) and
shapes the rows into the JSON Django answered. What it skips is everything a
framework adds: routing, middleware, DRF's request and serializers, the ORM.

``check_same_json`` compares its answers with Django's before any timing.

Served by the Dockerfile's Gunicorn command and config (see bench/servers.py).
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from apps.core.converters import as_date, as_id, as_instant
from bench import capture

Rows = list[dict[str, Any]]
Start = Callable[[str, list[tuple[str, str]]], Any]


# --- the plan and pgbench, written by the suite ---------------------------------------------


def write_plan(path: Path, captured: dict[str, list[capture.Captured]]) -> Path:
    plan = {
        f"{item.user} {item.path}": {"endpoint": key, "sql": [s.replayable for s in item.statements]}
        for key, items in captured.items()
        for item in items
        if item.method == "GET"
    }
    path.write_text(json.dumps(plan))
    return path


def pgbench_text(item: capture.Captured) -> str:
    return capture.pgbench_script(item.statements)


# --- values as Django REST framework writes them -------------------------------------------------


# The API's own converters (apps.core.converters is plain Python): the baseline cannot drift from them.
_dt = as_instant
_d = as_date
_id = as_id


def _plain(value: Decimal) -> str:
    normalized = value.normalize()
    return f"{normalized:f}"


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


# --- shapes of each endpoint's answer ---------------------------------------------------------------

PATIENT_FIELDS = [
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address_line",
    "city",
    "postal_code",
    "country",
    "emergency_contact_name",
    "emergency_contact_phone",
    "active",
]


def _patient(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": as_id(row["id"]), "clinic": as_id(row["clinic_id"])}
    for name in PATIENT_FIELDS:
        out[name] = as_date(row[name]) if name == "date_of_birth" else row[name]
    out.update(
        archived_at=as_instant(row["archived_at"]),
        merged_into=as_id(row["merged_into_id"]),
        created_at=as_instant(row["created_at"]),
        updated_at=as_instant(row["updated_at"]),
    )
    return out


def _page(items: list[Any], page_size: int, url: str) -> dict[str, Any]:
    more = len(items) > page_size
    next_url = f"{url}&page=2" if more else None
    return {"results": items[:page_size], "next": next_url, "previous": None}


def shape(endpoint: str, results: list[Rows], query: dict[str, str], url: str) -> Any:
    """The JSON body for ``endpoint`` from the rows of each statement (in order)."""
    if endpoint == "health":
        return {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    if endpoint == "me":
        user, memberships = results[0][0], results[1]
        return {
            "id": str(user["id"]),
            "email": user["email"],
            "full_name": user["full_name"],
            "is_staff": user["is_staff"],
            "memberships": [
                {
                    "id": str(m["id"]),
                    "clinic": {
                        "id": str(m["clinic_id"]),
                        "name": m["name"],
                        "slug": m["slug"],
                        "time_zone": m["time_zone"],
                        "currency": m["currency"],
                    },
                    "role": m["role"],
                }
                for m in memberships
            ],
        }
    if endpoint in ("search_typo", "search_phone", "patient_list"):
        patients = next(rows for rows in results if rows and "mrn" in rows[0])
        return _page([_patient(row) for row in patients], int(query.get("page_size", 20)), url)
    if endpoint == "patient_detail":
        return _patient(next(rows for rows in results if rows and "mrn" in rows[0])[0])
    if endpoint == "appointments_week":
        # the appointments' rows, not the last statement's: the audit insert (RETURNING id) comes after them
        rows = next((rows for rows in results if rows and "practitioner_id" in rows[0]), [])
        names = [
            "status",
            "reason",
            "notes",
            "cancellation_reason",
            "outside_availability",
            "checked_in_at",
            "completed_at",
            "cancelled_at",
            "created_at",
            "updated_at",
        ]
        items = [
            {
                "id": str(r["id"]),
                "clinic": str(r["clinic_id"]),
                "patient": str(r["patient_id"]),
                "practitioner": str(r["practitioner_id"]),
                "start": _dt(r["start"]),
                "end": _dt(r["end"]),
                **{n: _dt(r[n]) if isinstance(r[n], datetime) or n.endswith("_at") else r[n] for n in names},
            }
            for r in rows
        ]
        return _page(items, min(int(query.get("page_size", 20)), 100), url)
    if endpoint == "invoice_list":
        invoices = next(rows for rows in results if rows and "number" in rows[0])
        lines: dict[Any, list[dict[str, Any]]] = {}
        for line in next((rows for rows in results if rows and "position" in rows[0]), []):
            lines.setdefault(line["invoice_id"], []).append(
                {
                    "id": str(line["id"]),
                    "position": line["position"],
                    "service": _id(line["service_id"]),
                    "description": line["description"],
                    "quantity": _plain(line["quantity"]),
                    "unit_price": _money(line["unit_price"]),
                    "tax_rate": _plain(line["tax_rate"]),
                    "net_amount": _money(line["net_amount"]),
                    "tax_amount": _money(line["tax_amount"]),
                    "total_amount": _money(line["net_amount"] + line["tax_amount"]),
                }
            )
        return _page([_invoice(row, lines.get(row["id"], [])) for row in invoices], 20, url)
    if endpoint == "revenue_month":
        return _revenue(results, query)
    if endpoint == "slots_day":
        return _slots(results, query)
    raise KeyError(endpoint)


def _invoice(row: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "clinic": str(row["clinic_id"]),
        "patient": str(row["patient_id"]),
        "appointment_id": _id(row["appointment_id"]),
        "number": row["number"],
        "status": row["status"],
        "currency": row["currency"],
        "issue_date": _d(row["issue_date"]),
        "due_date": _d(row["due_date"]),
        "notes": row["notes"],
        "lines": lines,
        "subtotal": _money(row["subtotal"]),
        "tax_total": _money(row["tax_total"]),
        "total": _money(row["total"]),
        "paid_amount": _money(row["paid_amount"]),
        "balance": _money(row["total"] - row["paid_amount"] if row["status"] in ("issued", "paid") else Decimal(0)),
        "overdue": row["overdue_since"] is not None and row["status"] == "issued",
        "overdue_since": _d(row["overdue_since"]),
        "issued_at": _dt(row["issued_at"]),
        "paid_at": _dt(row["paid_at"]),
        "voided_at": _dt(row["voided_at"]),
        "void_reason": row["void_reason"],
        "replaces": _id(row["replaces_id"]),
        "created_at": _dt(row["created_at"]),
        "updated_at": _dt(row["updated_at"]),
    }


def _revenue(results: list[Rows], query: dict[str, str]) -> dict[str, Any]:
    clinic = next(rows[0] for rows in results if rows and "time_zone" in rows[0] and "currency" in rows[0])
    by_name: dict[str, Rows] = {}
    for rows in results:
        if rows:
            by_name.setdefault(",".join(rows[0]), rows)

    def first_with(column: str) -> Rows:
        return next(rows for key, rows in by_name.items() if column in key.split(","))

    invoices, payments, refunds = first_with("invoices")[0], first_with("payments")[0], first_with("refunds")[0]
    zero = Decimal("0")
    days: dict[date, dict[str, Decimal]] = {}

    def day(on: date) -> dict[str, Decimal]:
        return days.setdefault(
            on, {"issued": zero, "paid": zero, "refunded": zero, "credited": zero, "outstanding": zero}
        )

    credits = first_with("credit_notes")[0]
    for row in by_name.get("issue_date,issued,outstanding", []):
        day(row["issue_date"]).update(issued=row["issued"], outstanding=row["outstanding"])
    for key, rows in by_name.items():
        if key == "on,paid":
            for row in rows:
                day(row["on"])["paid"] = row["paid"]
        elif key == "on,refunded":
            for row in rows:
                day(row["on"])["refunded"] = row["refunded"]
        elif key == "issue_date,credited":
            for row in rows:
                day(row["issue_date"])["credited"] = row["credited"]
    services = next((rows for key, rows in by_name.items() if key.startswith("service_id,")), [])
    return {
        "clinic": str(clinic["id"]),
        "currency": clinic["currency"],
        "from": query["from"],
        "to": query["to"],
        "totals": {
            "issued": _money(invoices["issued"]),
            "tax": _money(invoices["tax"]),
            "paid": _money(payments["paid"]),
            "refunded": _money(refunds["refunded"]),
            "net_received": _money(payments["paid"] - refunds["refunded"]),
            "credited": _money(credits["credited"]),
            "credit_notes": credits["credit_notes"],
            "outstanding": _money(invoices["outstanding"]),
            "invoices": invoices["invoices"],
            "payments": payments["payments"],
            "refunds": refunds["refunds"],
        },
        "by_day": [
            {"date": on.isoformat(), **{name: _money(value) for name, value in figures.items()}}
            for on, figures in sorted(days.items())
        ],
        "by_service": [
            {
                "service": _id(row["service_id"]),
                "code": row["service__code"],
                "name": row["service__name"] or "Other (free text)",
                "quantity": _plain(row["quantity"]),
                "lines": row["lines"],
                "net": _money(row["net"]),
                "tax": _money(row["tax"]),
                "total": _money(row["total"]),
            }
            for row in services
        ],
    }


def _slots(results: list[Rows], query: dict[str, str]) -> dict[str, Any]:
    """Free slots of one day: weekly hours (no exceptions in the bench data) minus busy times."""
    clinic = next(rows[0] for rows in results if rows and "time_zone" in rows[0] and "currency" in rows[0])
    zone = ZoneInfo(clinic["time_zone"])
    hours = next((rows for rows in results if rows and "weekday" in rows[0]), [])
    busy = sorted(
        (r["start"], r["end"])
        for r in next((rows for rows in results if rows and set(rows[0]) == {"start", "end"}), [])
    )
    first = date.fromisoformat(query["date_from"])
    last = date.fromisoformat(query["date_to"])
    now = datetime.now(UTC)
    found = []
    on = first
    while on <= last:
        for h in hours:
            if h["weekday"] != on.weekday():
                continue
            start = datetime.combine(on, h["start_time"], tzinfo=zone).astimezone(UTC)
            end = datetime.combine(on, h["end_time"], tzinfo=zone).astimezone(UTC)
            step = timedelta(minutes=h["slot_minutes"])
            while start + step <= end:
                slot_end = start + step
                if start >= now and not any(b_start < slot_end and start < b_end for b_start, b_end in busy):
                    found.append((start, slot_end))
                start = slot_end
        on += timedelta(days=1)
    return {
        "time_zone": clinic["time_zone"],
        "results": [
            {"start": s.astimezone(zone).isoformat(), "end": e.astimezone(zone).isoformat()} for s, e in sorted(found)
        ],
    }


# --- the WSGI app ---------------------------------------------------------------------------------------

_state: dict[str, Any] = {}


def _setup() -> dict[str, Any]:
    if not _state:
        from psycopg_pool import ConnectionPool

        def configure(conn: Any) -> None:
            conn.execute("SET TIME ZONE 'UTC'")

        _state["plan"] = json.loads(Path(os.environ["BENCH_PLAN"]).read_text())
        _state["key"] = (os.environ.get("JWT_SIGNING_KEY") or os.environ["SECRET_KEY"]).encode()
        _state["pool"] = ConnectionPool(
            os.environ["DATABASE_URL"], min_size=1, max_size=4, kwargs={"autocommit": True}, configure=configure
        )
        _state["redis"] = os.environ.get("REDIS_URL", "")
    return _state


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_user(header: str, key: bytes) -> str | None:
    """The user id of an HS256 JWT with a valid signature and expiry (what simplejwt checks before its query)."""
    if not header.startswith("Bearer "):
        return None
    try:
        head, body, signature = header[7:].split(".")
        expected = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64(signature)):
            return None
        claims = orjson.loads(_b64(body))
        return str(claims["user_id"]) if claims["exp"] > time.time() else None
    except (ValueError, KeyError):
        return None


def _fresh(sql: str) -> str:
    return sql.replace(f"'{capture.FRESH_UUID}'", f"'{uuid.uuid4()}'::uuid").replace(
        f"'{capture.FRESH_HASH}'", f"'{secrets.token_hex(32)}'"
    )


def _redis_ping(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    finally:
        client.close()


def application(environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
    state = _setup()
    path = environ.get("PATH_INFO", "")
    raw_query = environ.get("QUERY_STRING", "")
    key = f"{path}?{raw_query}" if raw_query else path
    user = "" if path == "/health/" else _token_user(environ.get("HTTP_AUTHORIZATION", ""), state["key"])
    if user is None:
        start_response("401 Unauthorized", [("Content-Type", "application/json")])
        return [b'{"code": "not_authenticated"}']
    entry = state["plan"].get(f"{user} {key}")
    if entry is None:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"code": "not_found"}']
    endpoint = entry["endpoint"]
    results: list[Rows] = []
    with state["pool"].connection() as conn:
        for sql in entry["sql"]:
            cursor = conn.execute(_fresh(sql))
            if cursor.description:
                # Rows as dicts; where a join repeats a column name, the first table's value wins.
                names = [column.name for column in cursor.description]
                if len(set(names)) == len(names):
                    results.append([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
                else:
                    keep = [n for n, name in enumerate(names) if name not in names[:n]]
                    results.append([{names[n]: row[n] for n in keep} for row in cursor.fetchall()])
            else:
                results.append([])
    if endpoint == "health" and state["redis"]:
        _redis_ping(state["redis"])
    from urllib.parse import parse_qsl

    query = dict(parse_qsl(raw_query))
    url = f"https://{environ.get('HTTP_HOST', '127.0.0.1')}{key}"
    body = orjson.dumps(shape(endpoint, results, query, url))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


# --- same JSON as Django? ---------------------------------------------------------------------------------


def _comparable(body: Any) -> Any:
    if isinstance(body, dict) and "results" in body and "next" in body:
        return {**body, "next": bool(body["next"]), "previous": bool(body["previous"])}
    return body


def check_same_json(
    base_url: str, captured: dict[str, list[capture.Captured]], tokens: dict[str, str], diffs: Path
) -> dict[str, str]:
    """Ask the minimal app for a few captured requests; its JSON should equal Django's (differences go to ``diffs``)."""
    verdicts: dict[str, str] = {}
    for endpoint, items in captured.items():
        if items[0].method != "GET":
            continue
        for item in items[:5]:
            request = urllib.request.Request(base_url + item.path, headers={"X-Forwarded-Proto": "https"})  # noqa: S310 - http://127.0.0.1 only
            if endpoint != "health":
                request.add_header("Authorization", f"Bearer {tokens[item.clinic]}")
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http://127.0.0.1 only
                mine = json.loads(response.read())
            if _comparable(mine) != _comparable(item.body):
                verdicts[endpoint] = "differs"
                with diffs.open("a") as out:
                    out.write(
                        f"{endpoint} {item.path}\ndjango:  {json.dumps(item.body)}\nminimal: {json.dumps(mine)}\n"
                    )
                break
        else:
            verdicts[endpoint] = "same"
    return verdicts
