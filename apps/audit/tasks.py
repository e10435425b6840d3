"""Nightly verification of the audit chain."""

import logging

from celery import shared_task

from apps.audit.selectors import audit_chain_first_broken_link

logger = logging.getLogger("clinicops.audit")


@shared_task(name="apps.audit.tasks.verify_audit_chain", acks_late=True)
def verify_audit_chain() -> int | None:
    """Logs an error naming the first broken link; read-only, so safe to run twice."""
    broken = audit_chain_first_broken_link()
    if broken is None:
        logger.info("audit chain verified")
    else:
        logger.error("audit chain broken", extra={"first_broken_event": broken})
    return broken
