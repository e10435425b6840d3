"""Reading events as Merkle leaf entries in bulk: the sealer's hot loop.

``canonical_event`` (apps.audit.models) defines an entry from the model's Python
values. Reading 50,000 rows through the ORM to call it spent most of a seal in
Django's row converters, psycopg's Python timestamp loader, ``json.loads`` of
every ``changes`` and ``str(UUID)``. On PostgreSQL this module asks the server
for the same values already as text (uuids as text, ``at`` as the exact digits
``datetime.isoformat`` prints, ``changes`` as jsonb text), runs the ORM-built
query on a plain cursor, and assembles the entry with the C string escaper
``json`` itself uses. The result is byte for byte ``canonical_event``'s: the
verifier still reads through the ORM and ``canonical_event``, so every seal a
test verifies cross-checks the two (and ``test_entries`` compares them on
awkward values directly).
"""

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import F, Func, QuerySet
from django.db.models.functions import Cast

from apps.audit.models import CANONICAL_FIELDS, AuditEvent, canonical_event

_escape = json.encoder.encode_basestring_ascii  # what json.dumps uses (ensure_ascii)
_ENTRY = (
    '{"action":%s,"actor":%s,"at":"%s+00:00","changes":%s,"clinic":%s,'
    '"event_id":"%s","ip":%s,"request_id":%s,"resource_id":%s,"resource_type":%s}'
)  # canonical_event's keys, sorted, with its separators; ``at`` is always UTC (USE_TZ, UTC connection)


class _IsoUtc(Func):
    """``at`` as ``datetime.isoformat()`` prints it in UTC, without the offset (always 6 fraction digits)."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
    output_field = models.TextField()


def _text(name: str) -> Cast:
    return Cast(name, output_field=models.TextField())


# In canonical_event's keyword order (CANONICAL_FIELDS): the columns as the text the entry needs.
_TEXT_COLUMNS = (
    _text("event_id"),
    _IsoUtc(F("at")),
    _text("actor_id"),
    _text("clinic_id"),
    F("action"),
    F("resource_type"),
    F("resource_id"),
    F("ip"),  # Django loads inet as its text form on both paths
    F("request_id"),
    _text("changes"),
)


def _null_or(value: str | None) -> str:
    return "null" if value is None else _escape(value)


def entry_from_text(
    event_id: str,
    at: str,
    actor: str | None,
    clinic: str | None,
    action: str,
    resource_type: str,
    resource_id: str,
    ip: str | None,
    request_id: str,
    changes: str,
) -> str:
    """canonical_event for one row read as text by ``pending_entries``."""
    if at.endswith(".000000"):
        at = at[:-7]  # isoformat leaves out a zero fraction
    if changes != "{}":
        changes = json.dumps(json.loads(changes), sort_keys=True, separators=(",", ":"))
    return _ENTRY % (
        _escape(action),
        _null_or(actor),
        at,
        changes,
        _null_or(clinic),
        event_id,
        _null_or(ip),
        _escape(request_id),
        _escape(resource_id),
        _escape(resource_type),
    )


def pending_entries(events: QuerySet[AuditEvent], *, limit: int) -> list[tuple[int, bytes]]:
    """Up to ``limit`` of ``events`` in id order, as (id, canonical entry bytes)."""
    # "id + 0": order by id without letting the planner walk the whole primary key for the
    # LIMIT; the caller's txid range (BRIN) finds the few candidate rows.
    ordered = events.order_by(F("id") + 0)
    if connection.vendor != "postgresql":
        values = ordered.values_list("id", *CANONICAL_FIELDS)[:limit]
        return [
            (pk, canonical_event(**dict(zip(CANONICAL_FIELDS, rest, strict=True))).encode()) for pk, *rest in values
        ]
    sql, params = ordered.values_list("id", *_TEXT_COLUMNS)[:limit].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: Sequence[Any] = cursor.fetchall()
    return [(row[0], entry_from_text(*row[1:]).encode()) for row in rows]
