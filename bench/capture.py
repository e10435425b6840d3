"""What an endpoint asks of PostgreSQL, captured from Django itself, and replayed without it.

Each sample request is sent through Django's full request path (test client,
production settings) inside ``CaptureQueriesContext``; an execute wrapper notes
which statements ran inside ``transaction.atomic``. The result, per request,
is the list of statements with their literal parameters (as PostgreSQL
received them: psycopg binds client-side) and the response Django gave.

``pgbench_script`` turns that into a pgbench script (statements that ran in
one atomic block keep their BEGIN/COMMIT, which Django logs too); the minimal WSGI app
(``bench/minimal.py``) executes the same statements.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Values a replay must not repeat (unique columns of the audit chain): they are
# replaced by these markers, and each replay puts fresh values in their place.
FRESH_UUID = "__bench_fresh_uuid__"
FRESH_HASH = "__bench_fresh_hash__"
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}
_FRESH_COLUMNS = {'"audit_auditevent"': {'"event_id"': FRESH_UUID, '"hash"': FRESH_HASH}}


@dataclass
class Statement:
    sql: str
    in_transaction: bool
    # the same statement with unique values replaced by FRESH_* markers ("" when there are none)
    replay: str = ""

    @property
    def replayable(self) -> str:
        return self.replay or self.sql


@dataclass
class Captured:
    """One sample request: what Django sent to PostgreSQL, and what it answered."""

    endpoint: str
    method: str
    path: str
    status: int
    body: Any
    statements: list[Statement]
    clinic: str = ""  # whose owner sent it
    user: str = ""  # that owner's id


def capture(client: Any, endpoint: str, method: str, path: str, body: str | None = None, **headers: str) -> Captured:
    """Send one request through Django and record its SQL (Django must be set up)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    atomic: list[bool] = []
    replays: list[str] = []

    def note(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        atomic.append(connection.in_atomic_block)
        replays.append(_with_markers(context["cursor"], sql, params))
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(note):
        if method == "GET":
            response = client.get(path, **headers)
        else:
            response = client.generic(method, path, body or "", content_type="application/json", **headers)
    # Django logs BEGIN and COMMIT among the queries (they are not cursor executes).
    executed = iter(zip(atomic, replays, strict=True))
    statements = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql in TRANSACTION_CONTROL:
            statements.append(Statement(sql, True))
        else:
            flag, replay = next(executed)
            statements.append(Statement(sql, flag, replay))
    assert next(executed, None) is None, "every executed statement was captured"
    content = response.content
    try:
        import json

        parsed: Any = json.loads(content) if content else None
    except ValueError:
        parsed = content.decode(errors="replace")[:200]
    return Captured(endpoint, method, path, response.status_code, parsed, statements)


def _with_markers(cursor: Any, sql: str, params: Any) -> str:
    """For an INSERT into a table with unique generated values: the SQL with markers in their place."""
    if not sql.startswith("INSERT INTO ") or not params:
        return ""
    table = sql.split()[2]
    fresh = _FRESH_COLUMNS.get(table)
    if not fresh:
        return ""
    columns = [c.strip() for c in sql[sql.index("(") + 1 : sql.index(")")].split(",")]
    values = list(params)
    for row in range(len(values) // len(columns)):
        for column, marker in fresh.items():
            if column in columns:  # the audit append no longer writes "hash"
                values[row * len(columns) + columns.index(column)] = marker
    raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
    return str(raw.mogrify(sql, values))


def pgbench_script(statements: list[Statement]) -> str:
    """A pgbench script issuing the same statements, transactions included.

    Savepoint statements stay (they were sent to PostgreSQL too). Each
    statement is one line ending in a semicolon, which is how pgbench splits;
    fresh-value markers become SQL that makes a new value on each run.
    """
    fresh = {
        f"'{FRESH_UUID}'": "gen_random_uuid()",
        f"'{FRESH_HASH}'": "encode(sha256(gen_random_uuid()::text::bytea), 'hex')",
    }
    out: list[str] = []
    for statement in statements:
        sql = statement.replayable
        for marker, expression in fresh.items():
            sql = sql.replace(marker, expression)
        out.append(" ".join(sql.split("\n")).rstrip(";") + ";")
    return "\n".join(out) + "\n"


def query_count(statements: list[Statement]) -> int:
    """Statements that do work: BEGIN, COMMIT and savepoints are not counted."""
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT ", "RELEASE SAVEPOINT ")
    return sum(1 for s in statements if not s.sql.startswith(control))
