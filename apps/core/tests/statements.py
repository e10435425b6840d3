"""Counting a request's SQL statements while the audit storage is being replaced.

The hash chain's advisory lock and its read of the last hash go with the
lock-free append (issue #10 item 1, the "audit-seal" branch); SAVEPOINT and
RELEASE are how the test transaction shows the storage's atomic block. Neither
is the request's own work, so query-count targets leave them out. The audit
INSERT itself is counted. Once the chain is gone, nothing matches here.
"""

from typing import Any


def chain_storage_only(sql: str) -> bool:
    return (
        sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        or "pg_advisory_xact_lock" in sql
        or sql.startswith('SELECT "audit_auditevent"."hash"')
    )


def counted(queries: Any) -> list[str]:
    """The statements of a CaptureQueriesContext that a query-count target counts."""
    return [q["sql"] for q in queries.captured_queries if not chain_storage_only(q["sql"])]
