"""One decorator for every Celery task of ClinicOps: the delivery and retry rules in one place."""

from collections.abc import Callable
from typing import Any

from celery import shared_task

# Late acknowledgement and redelivery when the worker dies: every task is
# idempotent, so running twice is safe and losing a run is not. Retries back
# off exponentially (with jitter, at most 10 minutes apart).
SHARED_TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def clinicops_task(
    *, name: str, retry_for: tuple[type[BaseException], ...] = (Exception,), **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    """``shared_task`` with the house options; ``retry_for=()`` for tasks that must not retry themselves."""
    return shared_task(name=name, autoretry_for=retry_for, **{**SHARED_TASK_OPTIONS, **options})
