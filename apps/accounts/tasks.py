"""Housekeeping of tokens and login attempts."""

from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.accounts.lockout import prune_attempts
from apps.core.tasks import clinicops_task


@clinicops_task(name="apps.accounts.tasks.flush_expired_tokens")
def flush_expired_tokens() -> dict[str, int]:
    """Delete expired refresh tokens (their blacklist rows go with them) and old login attempts.

    Deleting what is already expired is idempotent: a second run finds nothing.
    """
    now = timezone.now()
    tokens, _ = OutstandingToken.objects.filter(expires_at__lte=now).delete()
    attempts = prune_attempts(older_than=now - 2 * settings.LOGIN_COOL_OFF)
    return {"tokens": tokens, "login_attempts": attempts}
