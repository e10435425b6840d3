"""Beat jobs of the audit log: the sealer every few seconds, the full verification nightly."""

import logging
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings

from apps.audit.checkpoint_format import SignedCheckpoint, load_published
from apps.audit.sealer import LegacyChainBrokenError, audit_seal
from apps.audit.verify import audit_log_verify

logger = logging.getLogger("clinicops.audit")

# The first seal after the upgrade walks the legacy chain once: allow it time.
SEAL_SOFT_LIMIT = 1800
SEAL_BUDGET_SECONDS = 20.0
# A full recomputation reads every event: hours at hundreds of millions of rows.
VERIFY_SOFT_LIMIT = 3 * 3600


@shared_task(
    name="apps.audit.tasks.seal_audit_log",
    acks_late=True,
    soft_time_limit=SEAL_SOFT_LIMIT,
    time_limit=SEAL_SOFT_LIMIT + 60,
)
def seal_audit_log() -> int:
    """Seal pending events in full batches for up to ~20 s; idempotent (a concurrent run returns at once)."""
    deadline = time.monotonic() + SEAL_BUDGET_SECONDS
    sealed = 0
    while True:
        try:
            result = audit_seal()
        except LegacyChainBrokenError as exc:
            logger.error("audit sealing refused", extra={"first_broken_event": exc.first_broken_event})
            return sealed
        sealed += result.sealed
        if not result.more or time.monotonic() > deadline:
            return sealed


def last_published_checkpoint() -> list[SignedCheckpoint]:
    """The newest line of AUDIT_CHECKPOINT_FILE, if the deployment keeps one (reads only its end)."""
    if not settings.AUDIT_CHECKPOINT_FILE:
        return []
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    if not path.exists():
        return []
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(size - 65536, 0))
        lines = [line for line in handle.read().decode("ascii", "replace").splitlines() if line.strip()]
    return load_published(lines[-1]) if lines else []


@shared_task(
    name="apps.audit.tasks.verify_audit_log",
    acks_late=True,
    soft_time_limit=VERIFY_SOFT_LIMIT,
    time_limit=VERIFY_SOFT_LIMIT + 300,
)
def verify_audit_log() -> str | None:
    """Recompute every checkpoint; logs an error with the first mismatch and returns its kind (None: intact)."""
    report = audit_log_verify(published=last_published_checkpoint())
    problem = report.first_problem
    if problem is None:
        logger.info(
            "audit log verified",
            extra={"events": report.events, "checkpoints": report.checkpoints, "legacy_events": report.legacy_events},
        )
        return None
    logger.error("audit log verification failed", extra={"kind": problem.kind, **problem.detail})
    return problem.kind


@shared_task(name="apps.audit.tasks.verify_audit_chain", acks_late=True)
def verify_audit_chain() -> str | None:
    """The previous release's nightly task name, kept for messages already queued; runs the new verification."""
    return verify_audit_log()
