"""Nightly verification of the audit chain."""

import logging

from apps.audit.selectors import audit_chain_first_broken_link
from apps.core.tasks import clinicops_task

logger = logging.getLogger("clinicops.audit")


# Read-only and nightly: a failure is reported by the next run, not retried.
@clinicops_task(name="apps.audit.tasks.verify_audit_chain", retry_for=())
def verify_audit_chain() -> int | None:
    """Logs an error naming the first broken link; read-only, so safe to run twice."""
    broken = audit_chain_first_broken_link()
    if broken is None:
        logger.info("audit chain verified")
    else:
        logger.error("audit chain broken", extra={"first_broken_event": broken})
    return broken
