"""A real worker process takes a task from the real Redis broker and runs it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.accounts.tasks import flush_expired_tokens

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_worker_runs_the_token_flush_task(celery_worker_process, make_user):
    user = make_user()
    now = timezone.now()
    OutstandingToken.objects.create(user=user, jti="expired-1", token="x", expires_at=now - timedelta(days=1))
    OutstandingToken.objects.create(user=user, jti="valid-1", token="y", expires_at=now + timedelta(days=1))

    result = flush_expired_tokens.apply_async(queue=celery_worker_process)
    assert result.get(timeout=30) == {"tokens": 1, "login_attempts": 0}
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["valid-1"]

    # Idempotent: a second run finds nothing more to delete.
    again = flush_expired_tokens.apply_async(queue=celery_worker_process)
    assert again.get(timeout=30) == {"tokens": 0, "login_attempts": 0}


def test_celery_is_configured_for_safe_redelivery():
    from config.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit
