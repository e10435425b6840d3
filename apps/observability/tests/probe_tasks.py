"""Tasks only the tests use: a real worker imports this module with ``-I``."""

import logging

from celery import shared_task

from apps.core import context

logger = logging.getLogger("clinicops.tests.probe")


@shared_task(name="observability_tests.request_id_probe")
def request_id_probe() -> str:
    """Logs one line and returns the request id the task runs under."""
    logger.warning("probe ran")
    return context.current().request_id


@shared_task(name="observability_tests.explode")
def explode() -> None:
    raise RuntimeError("probe failure")
