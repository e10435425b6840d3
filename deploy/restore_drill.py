"""Restore drill: a backup is only as good as its last restore.

    python -m deploy.restore_drill        (make restore-drill; CI runs it)

On the PostgreSQL server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432)
it creates a scratch database, migrates it and loads the demo data, reads
patients through the API (so the audit trail has events), then:

1. backs it up with deploy/backup.sh (the script of `make backup` and of
   compose.prod.yml's backup service) and checks the manifest's sha256 and size;
2. restores the archive into a fresh database with pg_restore, timed;
3. compares per-table row counts of every table, and an md5 of every table's
   rows in primary-key order (patient data tables named in the report);
4. verifies the audit trail on the copy: `manage.py audit_verify` where that
   command exists, else the hash-chain check of apps.audit.selectors;
5. serves a patient read from the copy (Django's full request stack with a
   real JWT, against the restored database) and compares it with the source.

Prints one PASS/FAIL line per check and the restore time; exits 1 if anything
failed; always drops its databases. Prints no patient data.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
# Tables holding patient data (PHI): named in the report; every table is compared anyway.
PHI_TABLES = (
    "patients_patient",
    "patients_patientexport",
    "scheduling_appointment",
    "scheduling_notification",
    "scheduling_reminderpreference",
    "billing_invoice",
    "billing_invoiceline",
    "billing_payment",
    "billing_refund",
    "audit_auditevent",
    "visits_visit",
)


class Drill:
    def __init__(self, server_url: str) -> None:
        parts = urlsplit(server_url)
        self.parts = parts
        tag = f"{os.getpid()}_{int(time.time())}"
        self.source = f"clinicops_drill_src_{tag}"
        self.copy = f"clinicops_drill_copy_{tag}"
        self.failures: list[str] = []

    def url(self, database: str) -> str:
        return urlunsplit(self.parts._replace(path=f"/{database}"))

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def check(self, ok: bool, what: str) -> None:
        print(f"{'PASS' if ok else 'FAIL'}  {what}", flush=True)
        if not ok:
            self.failures.append(what)

    def manage(self, database: str, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "ENV": "test", "DATABASE_URL": self.url(database), "CELERY_TASK_ALWAYS_EAGER": "1"}
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            text=True,
            capture_output=capture,
            check=False,
        )


def _tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()
    return [row[0] for row in rows]


def _primary_key(conn: psycopg.Connection[Any], table: str) -> list[str]:
    rows = conn.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
        [f'public."{table}"'],
    ).fetchall()
    return [row[0] for row in rows]


def table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Per table: row count and md5 of the rows' text in primary-key order (whole-row order without a key)."""
    result: dict[str, tuple[int, str]] = {}
    with psycopg.connect(url) as conn:
        for table in _tables(conn):
            key = _primary_key(conn, table)
            order = ", ".join(f't."{column}"' for column in key) if key else "t::text"
            count, digest = conn.execute(
                f"SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY {order})), '') FROM \"{table}\" t"  # noqa: S608 - names from the catalog
            ).fetchone() or (0, "")
            result[table] = (int(count), str(digest))
    return result


def audit_verification(drill: Drill) -> tuple[str, subprocess.CompletedProcess[str]]:
    """`manage.py audit_verify` where another release ships it, else the chain check of today's selector."""
    commands = drill.manage(drill.copy, "help", "--commands", capture=True).stdout.split()
    if "audit_verify" in commands:
        return "manage.py audit_verify", drill.manage(drill.copy, "audit_verify", capture=True)
    script = (
        "import sys; from apps.audit.selectors import audit_chain_first_broken_link as first_broken;"
        " broken = first_broken(); print('first broken event:', broken); sys.exit(1 if broken is not None else 0)"
    )
    return "apps.audit.selectors.audit_chain_first_broken_link", drill.manage(
        drill.copy, "shell", "-c", script, capture=True
    )


def api_reads(*, patient_id: str | None) -> dict[str, Any]:
    """Inside Django (DATABASE_URL = one drill database): read patients through the API with a real JWT.

    Without ``patient_id``: list one clinic's patients, then read the first (audited reads).
    Returns ids, MRN and status codes only, never names.
    """
    import django

    django.setup()
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from apps.clinics.models import Membership
    from apps.patients.models import Patient

    if patient_id is None:
        patient = Patient.objects.order_by("mrn").first()
        if patient is None:
            return {"error": "no patient in the source database"}
    else:
        patient = Patient.objects.get(pk=patient_id)
    membership = Membership.objects.filter(clinic_id=patient.clinic_id, role="owner").select_related("user").first()
    if membership is None:
        return {"error": "no owner in the patient's clinic"}
    token = RefreshToken.for_user(membership.user).access_token
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")
    listing = client.get("/api/v1/patients/", {"clinic": str(patient.clinic_id)})
    read = client.get(f"/api/v1/patients/{patient.pk}/")
    body = read.json() if read.status_code == 200 else {}
    return {
        "patient_id": str(patient.pk),
        "list_status": listing.status_code,
        "read_status": read.status_code,
        "read_id": body.get("id"),
        "read_mrn": body.get("mrn"),
        "source_mrn": patient.mrn,
    }


def run_api_reads(drill: Drill, database: str, patient_id: str | None) -> dict[str, Any]:
    args = ["--api-reads", *([patient_id] if patient_id else [])]
    env = {
        **os.environ,
        "ENV": "test",
        "DATABASE_URL": drill.url(database),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "deploy.restore_drill", *args], cwd=ROOT, env=env, text=True, capture_output=True
    )
    lines = done.stdout.strip().splitlines()
    try:
        return dict(json.loads(lines[-1]))
    except (IndexError, ValueError):
        return {"error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}


def sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def drill_run(drill: Drill, workdir: Path) -> None:
    started = time.monotonic()
    with drill.admin() as conn:
        conn.execute(f'CREATE DATABASE "{drill.source}"')
    for args in (("migrate", "--noinput", "-v", "0"), ("seed_demo",)):
        done = drill.manage(drill.source, *args, capture=True)
        drill.check(done.returncode == 0, f"source database: manage.py {args[0]}")
        if done.returncode != 0:
            print(done.stderr[-2000:])
            return
    source_reads = run_api_reads(drill, drill.source, None)
    statuses = f"list {source_reads.get('list_status')}, read {source_reads.get('read_status')}"
    drill.check(source_reads.get("read_status") == 200, f"source database serves patient reads ({statuses})")
    print(f"      source ready in {time.monotonic() - started:.1f} s")

    t = time.monotonic()
    backup = subprocess.run(
        ["sh", str(ROOT / "deploy" / "backup.sh"), "--out", str(workdir)],
        env={**os.environ, "DATABASE_URL": drill.url(drill.source)},
        text=True,
        capture_output=True,
    )
    drill.check(backup.returncode == 0, f"deploy/backup.sh ({time.monotonic() - t:.1f} s)")
    if backup.returncode != 0:
        print(backup.stderr[-2000:])
        return
    dump = Path(backup.stdout.strip().splitlines()[-1])
    manifest = json.loads(dump.with_suffix(".json").read_text())
    drill.check(manifest["sha256"] == sha256_of(dump), "manifest sha256 matches the archive")
    drill.check(manifest["size_bytes"] == dump.stat().st_size, f"manifest size matches ({dump.stat().st_size} bytes)")
    drill.check(
        (dump.stat().st_mode & 0o077) == 0 and (dump.with_suffix(".json").stat().st_mode & 0o077) == 0,
        "archive and manifest readable by their owner only",
    )
    drill.check(bool(manifest["django_migrations"]["applied"]), "manifest records the applied migrations")

    with drill.admin() as conn:
        conn.execute(f'CREATE DATABASE "{drill.copy}"')
    t = time.monotonic()
    restore = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--jobs",
            "2",
            "--dbname",
            drill.url(drill.copy),
            str(dump),
        ],
        text=True,
        capture_output=True,
    )
    restore_seconds = time.monotonic() - t
    drill.check(restore.returncode == 0, f"pg_restore into a fresh database: {restore_seconds:.2f} s")
    if restore.returncode != 0:
        print(restore.stderr[-2000:])
        return

    source, copy = table_fingerprints(drill.url(drill.source)), table_fingerprints(drill.url(drill.copy))
    drill.check(set(source) == set(copy), f"same tables ({len(source)})")
    counts_differ = sorted(table for table in source if source[table][0] != copy.get(table, (None,))[0])
    drill.check(
        not counts_differ,
        f"row counts equal in every table ({sum(c for c, _ in source.values())} rows) {counts_differ or ''}",
    )
    digests_differ = sorted(table for table in source if source[table][1] != copy.get(table, (0, None))[1])
    drill.check(not digests_differ, f"md5 of every table's rows in primary-key order equal {digests_differ or ''}")
    phi = [f"{table} ({source[table][0]})" for table in PHI_TABLES if table in source]
    drill.check(all(table in source for table in PHI_TABLES[:3]), "patient data tables compared: " + ", ".join(phi))
    audit_rows = source.get("audit_auditevent", (0, ""))[0]
    drill.check(audit_rows > 0, f"the audit trail has events to verify ({audit_rows})")

    which, verified = audit_verification(drill)
    drill.check(verified.returncode == 0, f"audit verification on the copy passes (ran {which})")
    if verified.returncode != 0:
        print((verified.stdout + verified.stderr)[-2000:])

    copy_read = run_api_reads(drill, drill.copy, source_reads.get("patient_id"))
    drill.check(
        copy_read.get("read_status") == 200
        and copy_read.get("read_id") == source_reads.get("patient_id")
        and copy_read.get("read_mrn") == source_reads.get("source_mrn"),
        f"the copy serves the same patient: GET /api/v1/patients/{{id}}/ with a JWT ({copy_read.get('read_status')})",
    )
    print(f"restore time: {restore_seconds:.2f} s (pg_restore of a {dump.stat().st_size} byte archive)")
    print(f"drill took {time.monotonic() - started:.1f} s")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--api-reads":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(api_reads(patient_id=sys.argv[2] if len(sys.argv) > 2 else None)))
        return 0
    server = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    if not server.startswith(("postgres://", "postgresql://")):
        print("restore drill: DATABASE_URL must be PostgreSQL", file=sys.stderr)
        return 2
    drill = Drill(server)
    print(f"restore drill on {drill.parts.hostname}:{drill.parts.port or 5432}")
    try:
        with tempfile.TemporaryDirectory(prefix="clinicops-drill-") as workdir:
            drill_run(drill, Path(workdir))
    except Exception as exc:  # reported like any failed check, after the databases are dropped
        drill.check(False, f"drill crashed: {type(exc).__name__}: {exc}")
    finally:
        with drill.admin() as conn:
            for database in (drill.source, drill.copy):
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    if drill.failures:
        print(f"restore drill FAILED: {len(drill.failures)} check(s)")
        return 1
    print("restore drill passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
