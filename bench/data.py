"""Bench data: one PostgreSQL database, loaded with COPY, shared by every bench script.

``make bench`` loads everything into one database; ``bench/patients.py``,
``bench/scheduling.py`` and ``bench/billing.py`` call the same functions for
their single-area reports. Indexes and constraints that would be maintained
row by row are dropped before a load and rebuilt once after it.

Nothing here imports Django at module level: the loaders talk to PostgreSQL
with psycopg only, so they can run before the settings exist.
"""

import io
import itertools
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from apps.billing.money import line_amounts, round_money  # noqa: E402
from apps.core.demo_names import FAMILY_NAMES, GIVEN_NAMES  # noqa: E402
from apps.patients.search import fold  # noqa: E402

STAMP = "2026-01-01 00:00:00+00"
ZONES = [("Europe/Berlin", "DE", "EUR"), ("America/New_York", "US", "USD")]
PRACTITIONERS_PER_CLINIC = 4
APPOINTMENT_PATIENTS_PER_CLINIC = 200
SLOTS_PER_DAY = 20  # 08:00-18:00 in 30 minutes
FILLED_PER_DAY = 16
PRICES = [(Decimal("80.00"), Decimal("0")), (Decimal("20.00"), Decimal("19")), (Decimal("4.99"), Decimal("7"))]
BILLING_TODAY = date(2026, 11, 1)

# Synthetic surnames after the real ones, so a million patients are not a
# hundred names repeated; weights fall off like real surname frequencies
# (Zipf-like: the commonest name is ~1.5% of patients, the tail is long).
_STEMS = [
    "Ber",
    "Stei",
    "Wal",
    "Fel",
    "Broo",
    "Hil",
    "Lun",
    "Hol",
    "Mar",
    "Kel",
    "Dor",
    "Fra",
    "Gil",
    "Har",
    "Jan",
    "Kra",
    "Lem",
    "Mor",
    "Nor",
    "Pet",
    "Ros",
    "Sal",
    "Tor",
    "Vil",
    "Wes",
    "Ald",
    "Bra",
    "Cor",
    "Dal",
    "Eck",
    "Fin",
    "Gra",
    "Hau",
    "Ing",
    "Jor",
    "Kal",
    "Lin",
    "Mas",
    "Nie",
    "Ols",
    "Pra",
    "Qui",
    "Rei",
    "Sch",
    "Tal",
    "Ulm",
    "Vos",
    "Wer",
    "Yan",
    "Zel",
]
_SUFFIXES = [
    "er",
    "man",
    "son",
    "sen",
    "ley",
    "ford",
    "stra",
    "ova",
    "ski",
    "ini",
    "ez",
    "berg",
    "stein",
    "wald",
    "feld",
    "holm",
    "lund",
    "ton",
    "well",
    "ham",
]
FAMILIES = FAMILY_NAMES + [stem.lower().capitalize() + suffix for stem, suffix in itertools.product(_STEMS, _SUFFIXES)]
FAMILY_WEIGHTS = [1 / (rank + 8) for rank in range(len(FAMILIES))]
GIVEN_WEIGHTS = [1 / (rank + 3) ** 0.7 for rank in range(len(GIVEN_NAMES))]


def admin_dsn(db: str = "postgres") -> str:
    return os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/") + db


def fake_uuid(rng: random.Random) -> str:
    """A random (v4-shaped) id, much cheaper than uuid7() for a million rows."""
    return str(uuid.UUID(int=rng.getrandbits(128) & ~(0xF << 76) | (0x4 << 76)))


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip: a swapped pair, a dropped or a doubled letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def create_database(name: str, *, settings_env: dict[str, str] | None = None) -> None:
    """Drop and create ``name``, then run every migration into it."""
    with psycopg.connect(admin_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "ENV": "test", **(settings_env or {}), "DATABASE_URL": admin_dsn(name)}
    if not settings_env:
        env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def drop_database(name: str) -> None:
    with psycopg.connect(admin_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Copy:
    """Rows written to COPY in text format, in 4 MB chunks."""

    def __init__(self, conn: psycopg.Connection[Any], table: str, columns: str) -> None:
        self._manager = conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN")
        self._buffer = io.StringIO()

    def __enter__(self) -> "_Copy":
        self._copy = self._manager.__enter__()
        return self

    def row(self, values: Iterable[object]) -> None:
        self._buffer.write("\t".join("\\N" if v is None else str(v) for v in values))
        self._buffer.write("\n")
        if self._buffer.tell() > 4_000_000:
            self._copy.write(self._buffer.getvalue())
            self._buffer = io.StringIO()

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self._copy.write(self._buffer.getvalue())
        self._manager.__exit__(*exc)  # type: ignore[arg-type]


def copy_rows(conn: psycopg.Connection[Any], table: str, columns: str, rows: Iterable[Sequence[object]]) -> None:
    with _Copy(conn, table, columns) as copy:
        for row in rows:
            copy.row(row)


@dataclass
class Clinic:
    id: str
    zone: str
    country: str
    currency: str


@dataclass
class Dataset:
    """What was loaded, and samples of it for requests (ids, names, phones)."""

    clinics: list[Clinic] = field(default_factory=list)
    # per clinic: the first patients (appointments and invoices use them)
    patients: dict[str, list[str]] = field(default_factory=dict)
    # a sample of (patient id, clinic id, given, family, phone) over all clinics
    patient_sample: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    practitioners: dict[str, list[str]] = field(default_factory=dict)
    # per clinic: a user who owns it (and only it); requests are made as them
    owners: dict[str, str] = field(default_factory=dict)
    appointment_days: tuple[str, str] = ("", "")
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def load_clinics(conn: psycopg.Connection[Any], data: Dataset, count: int, rng: random.Random) -> None:
    """Clinics alternating between Berlin (DE, EUR) and New York (US, USD)."""
    data.clinics = [Clinic(fake_uuid(rng), *ZONES[n % len(ZONES)]) for n in range(count)]
    copy_rows(
        conn,
        "clinics_clinic",
        "id, created_at, updated_at, name, slug, time_zone, currency, country, address, phone, email",
        (
            (c.id, STAMP, STAMP, f"Bench {n}", f"bench-{n}", c.zone, c.currency, c.country, "", "", "")
            for n, c in enumerate(data.clinics)
        ),
    )
    data.counts["clinics"] = count


PATIENT_COLUMNS = (
    "id, created_at, updated_at, clinic_id, mrn, given_name, family_name, date_of_birth, sex, phone, email,"
    " address_line, city, postal_code, country, emergency_contact_name, emergency_contact_phone, active,"
    " search_name"
)


def phone_of(n: int) -> str:
    """A valid Berlin landline in E.164, unique per patient number."""
    return f"+4930{10_000_000 + n:08d}"


def load_patients(
    conn: psycopg.Connection[Any], data: Dataset, count: int, rng: random.Random, *, sample: int = 2000
) -> None:
    """``count`` patients round-robin over the clinics; names Zipf-distributed, 1% archived."""
    conn.execute("DROP INDEX IF EXISTS patients_search_trgm_gist")
    started = time.perf_counter()
    clinics = data.clinics
    per_clinic = [0] * len(clinics)
    keep = APPOINTMENT_PATIENTS_PER_CLINIC
    data.patients = {c.id: [] for c in clinics}
    folded: dict[tuple[str, str], str] = {}
    epoch = date(1930, 1, 1)
    every = min(1.0, sample / count)  # the chance a patient is in the sample (all clinics alike)
    batch = 10_000
    with _Copy(conn, "patients_patient", PATIENT_COLUMNS) as copy:
        for first in range(0, count, batch):
            size = min(batch, count - first)
            givens = rng.choices(GIVEN_NAMES, weights=GIVEN_WEIGHTS, k=size)
            families = rng.choices(FAMILIES, weights=FAMILY_WEIGHTS, k=size)
            for offset in range(size):
                n = first + offset
                c = n % len(clinics)
                clinic = clinics[c]
                per_clinic[c] += 1
                given, family = givens[offset], families[offset]
                key = (given, family)
                if key not in folded:
                    folded[key] = fold(f"{given} {family}")
                pid = fake_uuid(rng)
                phone = phone_of(n)
                if per_clinic[c] <= keep:
                    data.patients[clinic.id].append(pid)
                if rng.random() < every:
                    data.patient_sample.append((pid, clinic.id, given, family, phone))
                dob = epoch + timedelta(days=rng.randrange(90 * 365))
                copy.row(
                    (
                        pid,
                        STAMP,
                        STAMP,
                        clinic.id,
                        f"P{per_clinic[c]:07d}",
                        given,
                        family,
                        dob.isoformat(),
                        rng.choice(("female", "male", "other", "unknown")),
                        phone,
                        "",
                        "",
                        "",
                        "",
                        clinic.country,
                        "",
                        "",
                        "f" if n % 100 == 99 else "t",
                        folded[key],
                    )
                )
    # New registrations continue each clinic's MRN sequence.
    conn.execute(
        "INSERT INTO clinics_cliniccounter (clinic_id, key, value) "
        "SELECT clinic_id, 'mrn', count(*) FROM patients_patient GROUP BY clinic_id ON CONFLICT DO NOTHING"
    )
    data.seconds["patients_copy"] = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute(
        "CREATE INDEX patients_search_trgm_gist ON patients_patient USING gist (clinic_id, search_name gist_trgm_ops)"
    )
    conn.execute("ANALYZE patients_patient")
    data.seconds["patients_index"] = time.perf_counter() - started
    data.counts["patients"] = count


def load_users(
    conn: psycopg.Connection[Any], users: Sequence[tuple[str, str, str]], memberships: Sequence[tuple[str, str, str]]
) -> None:
    """Users (id, email, full name) with an unusable password, and (user, clinic, role) memberships."""
    copy_rows(
        conn,
        "accounts_user",
        "id, password, is_superuser, email, full_name, is_active, is_staff, date_joined",
        ((uid, "!", "f", email, name, "t", "f", STAMP) for uid, email, name in users),
    )
    rng = random.Random(len(users))
    copy_rows(
        conn,
        "clinics_membership",
        "id, created_at, updated_at, role, clinic_id, user_id",
        ((fake_uuid(rng), STAMP, STAMP, role, clinic_id, uid) for uid, clinic_id, role in memberships),
    )


SCHEDULING_DROPPED = [
    "sched_appt_practitioner_start",
    "sched_appt_clinic_start",
    "sched_appt_patient_start",
    "sched_appt_booked_start",
]


def load_scheduling(conn: psycopg.Connection[Any], data: Dataset, appointments: int, rng: random.Random) -> None:
    """Four practitioners per clinic with weekday hours 08:00-18:00 in 30-minute slots, and
    ``appointments`` filling 80% of those slots on the weekdays around today.

    Uses the first patients of each clinic (``load_patients`` must run first). Both exclusion
    constraints and every index are rebuilt after the load, validating every row.
    """
    clinics = data.clinics
    data.practitioners = {c.id: [fake_uuid(rng) for _ in range(PRACTITIONERS_PER_CLINIC)] for c in clinics}
    load_users(
        conn,
        [(p, f"p-{p}@bench.test", "Bench Practitioner") for ps in data.practitioners.values() for p in ps],
        [(p, c, "practitioner") for c, ps in data.practitioners.items() for p in ps],
    )
    copy_rows(
        conn,
        "scheduling_availability",
        "id, created_at, updated_at, weekday, start_time, end_time, slot_minutes, clinic_id, practitioner_id",
        (
            (fake_uuid(rng), STAMP, STAMP, d, "08:00", "18:00", 30, c, p)
            for c, ps in data.practitioners.items()
            for p in ps
            for d in range(5)
        ),
    )
    per_day = len(clinics) * PRACTITIONERS_PER_CLINIC * FILLED_PER_DAY
    weekdays_needed = -(-appointments // per_day)
    today = date.today()
    days: list[date] = []
    day = today - timedelta(days=int(weekdays_needed * 7 / 10))
    while len(days) < weekdays_needed:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    data.appointment_days = (days[0].isoformat(), days[-1].isoformat())
    zones = {c.zone for c in clinics}
    instants = {
        (zone, d, s): datetime.combine(d, clock(8), tzinfo=ZoneInfo(zone)).astimezone(UTC) + timedelta(minutes=30 * s)
        for zone in zones
        for d in days
        for s in range(SLOTS_PER_DAY)
    }
    for constraint in ("sched_appt_practitioner_no_overlap", "sched_appt_patient_no_overlap"):
        conn.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {constraint}")
    for index in SCHEDULING_DROPPED:
        conn.execute(f"DROP INDEX {index}")
    now = datetime.now(UTC)
    started = time.perf_counter()
    columns = (
        'id, created_at, updated_at, start, "end", status, reason, notes, cancellation_reason,'
        " outside_availability, sequence, clinic_id, patient_id, practitioner_id"
    )
    written = 0
    with _Copy(conn, "scheduling_appointment", columns) as copy:
        for d in days:
            for clinic in clinics:
                patients = data.patients[clinic.id]
                for k, practitioner in enumerate(data.practitioners[clinic.id]):
                    for s in sorted(rng.sample(range(SLOTS_PER_DAY), FILLED_PER_DAY)):
                        if written == appointments:
                            break
                        start = instants[(clinic.zone, d, s)]
                        if start < now:
                            status = "completed" if rng.random() < 0.9 else rng.choice(("cancelled", "no_show"))
                        else:
                            status = "booked" if rng.random() < 0.95 else "cancelled"
                        # Patients at the same time differ by practitioner: no patient is in two places.
                        patient = patients[(s * PRACTITIONERS_PER_CLINIC + k + d.toordinal() * 7) % len(patients)]
                        copy.row(
                            (
                                fake_uuid(rng),
                                STAMP,
                                STAMP,
                                start.isoformat(),
                                (start + timedelta(minutes=30)).isoformat(),
                                status,
                                "Check-up",
                                "",
                                "",
                                "f",
                                0,
                                clinic.id,
                                patient,
                                practitioner,
                            )
                        )
                        written += 1
    data.seconds["appointments_copy"] = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute("CREATE INDEX sched_appt_practitioner_start ON scheduling_appointment (practitioner_id, start)")
    conn.execute("CREATE INDEX sched_appt_clinic_start ON scheduling_appointment (clinic_id, start)")
    conn.execute("CREATE INDEX sched_appt_patient_start ON scheduling_appointment (patient_id, start)")
    conn.execute("CREATE INDEX sched_appt_booked_start ON scheduling_appointment (start) WHERE status = 'booked'")
    for constraint, column in (
        ("sched_appt_practitioner_no_overlap", "practitioner_id"),
        ("sched_appt_patient_no_overlap", "patient_id"),
    ):
        conn.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {constraint} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
            "WHERE (status IN ('booked', 'checked_in'))"
        )
    conn.execute("ANALYZE scheduling_appointment")
    data.seconds["appointments_index"] = time.perf_counter() - started
    data.counts["appointments"] = written


def load_billing(
    conn: psycopg.Connection[Any], data: Dataset, invoices: int, rng: random.Random, *, created_by: str
) -> None:
    """Invoices over the last two years (1-3 lines each, 60% paid, 15% half paid, 3% void) and payments.

    Invoices go to the first patients of each clinic (``load_patients`` must run first).
    """
    started = time.perf_counter()
    patients = [(pid, c.id, c.currency) for c in data.clinics for pid in data.patients[c.id]]
    rng.shuffle(patients)
    per_clinic = {c.id: 0 for c in data.clinics}
    lines_written = payments_written = 0
    invoice_columns = (
        "id, created_at, updated_at, clinic_id, patient_id, appointment_id, number, status, currency, issue_date,"
        " due_date, notes, subtotal, tax_total, total, paid_amount, overdue_since, issued_at, paid_at, voided_at,"
        " void_reason, replaces_id, created_by_id, issued_by_id, voided_by_id"
    )
    line_columns = (
        "id, created_at, updated_at, invoice_id, position, service_id, description, quantity, unit_price, tax_rate,"
        " net_amount, tax_amount"
    )
    payment_columns = (
        "id, created_at, updated_at, clinic_id, invoice_id, amount, currency, method, reference, received_at,"
        " received_by_id, refunded_amount"
    )
    line_rows: list[tuple[object, ...]] = []
    payment_rows: list[tuple[object, ...]] = []
    with _Copy(conn, "billing_invoice", invoice_columns) as copy:
        for n in range(invoices):
            pid, cid, currency = patients[n % len(patients)]
            issued = BILLING_TODAY - timedelta(days=rng.randrange(730))
            lines = []
            for position in range(1, rng.randint(1, 3) + 1):
                price, rate = rng.choice(PRICES)
                quantity = Decimal(rng.randint(1, 3))
                net, tax = line_amounts(quantity=quantity, unit_price=price, tax_rate=rate, currency=currency)
                lines.append((position, price, rate, quantity, net, tax))
            subtotal = sum((line[4] for line in lines), Decimal("0"))
            tax_total = sum((line[5] for line in lines), Decimal("0"))
            total = subtotal + tax_total
            kind = rng.random()
            paid = total if kind < 0.6 else (round_money(total / 2, currency) if kind < 0.75 else Decimal("0"))
            status = "void" if kind > 0.97 else ("paid" if paid == total else "issued")
            if status == "void":
                paid = Decimal("0")
            per_clinic[cid] += 1
            iid = fake_uuid(rng)
            copy.row(
                (
                    iid,
                    STAMP,
                    STAMP,
                    cid,
                    pid,
                    None,
                    f"{issued.year}-{per_clinic[cid]:06d}",
                    status,
                    currency,
                    issued,
                    issued + timedelta(days=14),
                    "",
                    subtotal,
                    tax_total,
                    total,
                    paid,
                    None,
                    STAMP,
                    None,
                    None,
                    "",
                    None,
                    created_by,
                    None,
                    None,
                )
            )
            for position, price, rate, quantity, net, tax in lines:
                line_rows.append(
                    (fake_uuid(rng), STAMP, STAMP, iid, position, None, "Item", quantity, price, rate, net, tax)
                )
            if paid:
                received = datetime.combine(issued + timedelta(days=rng.randrange(30)), clock(0), tzinfo=UTC)
                payment_rows.append(
                    (fake_uuid(rng), STAMP, STAMP, cid, iid, paid, currency, "card", "", received, created_by, 0)
                )
    copy_rows(conn, "billing_invoiceline", line_columns, line_rows)
    copy_rows(conn, "billing_payment", payment_columns, payment_rows)
    lines_written, payments_written = len(line_rows), len(payment_rows)
    for table in ("billing_invoice", "billing_invoiceline", "billing_payment"):
        conn.execute(f"ANALYZE {table}")
    data.seconds["billing"] = time.perf_counter() - started
    data.counts.update(invoices=invoices, invoice_lines=lines_written, payments=payments_written)


def load_owners(conn: psycopg.Connection[Any], data: Dataset, rng: random.Random) -> None:
    """One owner per clinic, member of that clinic only: requests are made as the clinic's owner."""
    data.owners = {c.id: fake_uuid(rng) for c in data.clinics}
    load_users(
        conn,
        [(uid, f"owner-{n}@bench.test", "Bench Owner") for n, uid in enumerate(data.owners.values())],
        [(uid, cid, "owner") for cid, uid in data.owners.items()],
    )


def load_all(name: str, *, clinics: int, patients: int, appointments: int, invoices: int, seed: int) -> Dataset:
    """Everything into one database: clinics and their owners, patients, scheduling, billing."""
    rng = random.Random(seed)
    data = Dataset()
    with psycopg.connect(admin_dsn(name), autocommit=True) as conn:
        load_clinics(conn, data, clinics, rng)
        load_owners(conn, data, rng)
        load_patients(conn, data, patients, rng)
        if appointments:
            load_scheduling(conn, data, appointments, rng)
        if invoices:
            load_billing(conn, data, invoices, rng, created_by=next(iter(data.owners.values())))
        conn.execute("VACUUM (ANALYZE)")
    return data
