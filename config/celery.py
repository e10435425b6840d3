"""The Celery application: broker, serializers and delivery rules come from
``CELERY_*`` settings (see config/settings/base.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("clinicops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
