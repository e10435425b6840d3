"""Idempotency keys: a retried request gets the first request's response, and does its work once.

The key is claimed by inserting its row; the unique constraint on (clinic,
key) makes a concurrent second request with the same key wait on the first
one's uncommitted insert, then find the committed row (with its response)
and replay it. The work and the stored response commit together, so a
committed key always has its response; a crash rolls both back and a retry
starts afresh.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.billing.models import IdempotencyRecord
from apps.core.errors import ApplicationError, error_body

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Replays are honoured this long; older records are pruned by the daily job.
RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class IdempotentResponse:
    status: int
    body: Any
    replayed: bool


def validate_key(raw: str | None) -> str:
    """The header's value: required, printable ASCII, at most 255 characters."""
    key = (raw or "").strip()
    if not key:
        raise ApplicationError(
            f"This request needs an {HEADER} header (a unique value per intended operation).",
            code="idempotency_key_required",
            fields={HEADER: ["Required."]},
        )
    if len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ApplicationError(
            f"The {HEADER} must be printable ASCII, at most {MAX_KEY_LENGTH} characters.",
            code="invalid",
            fields={HEADER: ["Invalid."]},
        )
    return key


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """A hash of what the request asks for; key order and whitespace in the JSON do not matter."""
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def idempotent_call(
    *,
    actor: User,
    clinic_id: Any,
    key: str,
    fingerprint: str,
    perform: Callable[[], tuple[int, Any]],
) -> IdempotentResponse:
    """Run ``perform`` once per (clinic, key) and return its (status, body), or replay the stored one.

    A domain refusal (ApplicationError) raised by ``perform`` is stored and
    replayed too: its writes are rolled back to a savepoint, the key's record
    stays. The same key with another fingerprint answers 422.
    """
    claim = IdempotencyRecord(clinic_id=clinic_id, key=key, request_hash=fingerprint, actor=actor)
    IdempotencyRecord.objects.bulk_create([claim], ignore_conflicts=True)
    record = IdempotencyRecord.objects.select_for_update().get(clinic_id=clinic_id, key=key)
    if record.pk != claim.pk:
        if record.request_hash != fingerprint:
            raise ApplicationError(
                f"This {HEADER} was used for a different request.",
                code="idempotency_key_reused",
                status_code=422,
                fields={HEADER: ["Already used with another body or path."]},
            )
        return IdempotentResponse(status=record.response_status, body=record.response_body, replayed=True)
    try:
        with transaction.atomic():
            status, body = perform()
    except ApplicationError as exc:
        status, body = exc.status_code, error_body(exc.code, exc.message, exc.fields, **exc.extra)
    # Through the encoder and back: what is stored is exactly what a replay will send.
    body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
    record.response_status = status
    record.response_body = body
    record.save(update_fields=["response_status", "response_body", "updated_at"])
    return IdempotentResponse(status=status, body=body, replayed=False)


def idempotency_records_prune(*, now: datetime | None = None) -> int:
    """Forget keys older than the retention period; returns how many were deleted. Idempotent."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
