from celery import shared_task


@shared_task(name="apps.observability.tasks.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Scheduled every minute so Beat publishes at least that often.

    The heartbeat itself is written by Beat when it publishes (see
    task_signals.on_after_task_publish), so "Beat is fresh" does not depend
    on a worker being up; the worker's side of readiness is the ping.
    Running it does nothing.
    """
