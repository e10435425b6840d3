"""pgbench of the audit append as the application issues it, with a plain INSERT beside it.

The app's statements are captured from Django itself: ``audit_record`` of one
patient read, run in autocommit mode as a read request runs it, with its
transaction control, locks and reads included, whatever the storage does
today. The plain INSERT is the same INSERT alone. Both run at 1, 4 and 8
pgbench clients; unique values (event id, hash) are fresh on every run.

Targets (issue #10): the app's append at 8 clients >= 2x its own 1-client
rate, and >= 0.8 of the plain INSERT's at 8 clients.

``bench/suite.py`` calls ``measure`` on its own database; alone,
``python bench/audit_append.py`` builds a small database of its own.
"""

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import capture, pgbench  # noqa: E402

CLIENTS = (1, 4, 8)


def captured_append(*, actor_id: str, clinic_id: str) -> list[capture.Statement]:
    """The statements one audited patient read sends to PostgreSQL (Django must be set up)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.audit.record import AuditTarget, audit_record
    from apps.core.ids import uuid7
    from apps.patients.events import PatientEvent

    actor = _user(actor_id)
    atomic: list[bool] = []
    replays: list[str] = []

    def note(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        atomic.append(connection.in_atomic_block)
        replays.append(capture._with_markers(context["cursor"], sql, params))
        return execute(sql, params, many, context)

    target = AuditTarget(resource_type="patient", resource_id=str(uuid7()), clinic_id=clinic_id)
    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(note):
        audit_record(actor=actor, obj=target, event=PatientEvent.READ)
    executed = iter(zip(atomic, replays, strict=True))
    statements = []
    for query in queries.captured_queries:
        if query["sql"] in capture.TRANSACTION_CONTROL:
            statements.append(capture.Statement(query["sql"], True))
        else:
            flag, replay = next(executed)
            statements.append(capture.Statement(query["sql"], flag, replay))
    return statements


def _user(actor_id: str) -> Any:
    from apps.accounts.models import User

    return User.objects.get(pk=actor_id)


def scripts(statements: list[capture.Statement], work: Path) -> dict[str, Path]:
    """``app``: every statement as captured; ``plain``: the INSERT into the audit table alone."""
    inserts = [s for s in statements if s.sql.startswith('INSERT INTO "audit_auditevent"')]
    if len(inserts) != 1:
        raise RuntimeError(f"expected one audit INSERT, captured {len(inserts)}: {[s.sql[:80] for s in statements]}")
    out = {"app": work / "audit-append-app.sql", "plain": work / "audit-append-plain.sql"}
    out["app"].write_text(capture.pgbench_script(statements))
    out["plain"].write_text(capture.pgbench_script(inserts))
    return out


def run_pgbench(database: str, script: Path, clients: int, duration: int) -> dict[str, float]:
    done = pgbench.run(database, [script], clients=clients, duration=duration)
    return {**done, "tps": round(done["tps"], 1)}


def measure(
    database: str, *, actor_id: str, clinic_id: str, duration: int, work: Path, repeats: int = 1
) -> dict[str, Any]:
    """Both scripts at 1, 4 and 8 clients (median of ``repeats``), and the targets' ratios."""
    statements = captured_append(actor_id=actor_id, clinic_id=clinic_id)
    files = scripts(statements, work)
    runs: dict[str, dict[str, dict[str, float]]] = {"app": {}, "plain": {}}
    for clients in CLIENTS:
        results: dict[str, list[dict[str, float]]] = {"app": [], "plain": []}
        for _ in range(repeats):
            for kind in ("app", "plain"):  # alternating, so both see the same machine
                results[kind].append(run_pgbench(database, files[kind], clients, duration))
        for kind, kind_runs in results.items():
            runs[kind][str(clients)] = sorted(kind_runs, key=lambda r: r["tps"])[len(kind_runs) // 2]
    app, plain = runs["app"], runs["plain"]
    return {
        "clients": list(CLIENTS),
        "duration_s": duration,
        "repeats": repeats,
        "app_sql": files["app"].read_text(),
        "statements": capture.query_count(statements),
        "tps": {kind: {c: r["tps"] for c, r in runs[kind].items()} for kind in runs},
        "runs": runs,
        "ratios": {
            "app_8_vs_app_1": _ratio(app["8"]["tps"], app["1"]["tps"]),
            "app_vs_plain_at_8": _ratio(app["8"]["tps"], plain["8"]["tps"]),
        },
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def markdown(result: dict[str, Any]) -> str:
    """The table docs/performance.md shows."""
    tps = result["tps"]
    lines = [
        "| pgbench clients | app's append (tps) | plain INSERT (tps) | app / plain |",
        "| --- | --- | --- | --- |",
    ]
    for clients in result["clients"]:
        app, plain = tps["app"][str(clients)], tps["plain"][str(clients)]
        lines.append(f"| {clients} | {app:,.0f} | {plain:,.0f} | {_ratio(app, plain)} |")
    ratios = result["ratios"]
    lines.append("")
    lines.append(
        f"app at 8 clients / app at 1: {ratios['app_8_vs_app_1']} (target >= 2); "
        f"app / plain at 8: {ratios['app_vs_plain_at_8']} (target >= 0.8); "
        f"{result['statements']} statement(s) per append besides transaction control"
    )
    return "\n".join(lines)


def _standalone_data() -> tuple[str, str]:
    from apps.accounts.models import User
    from apps.clinics.models import Clinic

    clinic = Clinic.objects.create(name="Bench", slug="bench-audit", time_zone="UTC", currency="EUR")
    user = User.objects.create_user("bench-audit@example.org", None)
    return str(user.pk), str(clinic.pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="clinicops_bench_audit")
    parser.add_argument("--duration", type=int, default=5, help="seconds per pgbench run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", help="write the JSON result here")
    args = parser.parse_args()

    from bench import data, suite

    env = {"ENV": "test", "DATABASE_URL": data.admin_dsn(args.database)}
    data.create_database(args.database)
    try:
        suite.django_setup(env)
        actor_id, clinic_id = _standalone_data()
        with tempfile.TemporaryDirectory(prefix="clinicops-audit-bench-") as work:
            result = measure(
                args.database,
                actor_id=actor_id,
                clinic_id=clinic_id,
                duration=args.duration,
                work=Path(work),
                repeats=args.repeats,
            )
    finally:
        from django.db import connections

        connections.close_all()
        data.drop_database(args.database)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))


if __name__ == "__main__":
    main()
