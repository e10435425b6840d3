"""The Celery application: broker, serializers and delivery rules come from
``CELERY_*`` settings (see config/settings/base.py)."""

import os
from typing import Any

from celery import Celery, signals

from apps.observability import task_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("clinicops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id into tasks, task metrics, Beat's heartbeat, worker metrics.
task_signals.connect()


@signals.setup_logging.connect(weak=False)
def use_django_logging(**_: Any) -> None:
    """Workers and Beat log like the web: Django's LOGGING (JSON lines with the request id).

    Connecting this signal stops Celery from installing its own text format
    on the root logger.
    """
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
