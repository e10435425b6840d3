"""Login lock-out: too many recent failures for an account or an address.

Counted in the database (LoginAttempt), so it cannot be bypassed by another
login path or lost when Redis restarts. An account's counter starts again
after a successful login; a locked account refuses even the right password
until the cool-off has passed.
"""

import math
from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from apps.accounts.models import LoginAttempt, normalize_email
from apps.core.errors import ApplicationError


class LoginLocked(ApplicationError):
    status_code = 429
    code = "login_locked"


def _window_start() -> datetime:
    return timezone.now() - settings.LOGIN_COOL_OFF


def _locked_until(last_failure: datetime | None, count: int, limit: int) -> datetime | None:
    # The cool-off runs from the failure that reached the limit; refused
    # attempts while locked are not recorded, so they do not extend it.
    if count < limit or last_failure is None:
        return None
    return last_failure + settings.LOGIN_COOL_OFF


def lockout_check(*, email: str, ip: str | None) -> None:
    """Raise LoginLocked (429, with retry_after seconds) when the account or address is locked."""
    since = _window_start()
    email = normalize_email(email)
    last_success = LoginAttempt.objects.filter(email=email, succeeded=True, at__gte=since).aggregate(at=Max("at"))["at"]
    account = LoginAttempt.objects.filter(email=email, succeeded=False, at__gte=last_success or since)
    until = _locked_until(account.aggregate(last=Max("at"))["last"], account.count(), settings.LOGIN_FAILURE_LIMIT)
    if until is None and ip:
        by_ip = LoginAttempt.objects.filter(ip=ip, succeeded=False, at__gte=since)
        until = _locked_until(by_ip.aggregate(last=Max("at"))["last"], by_ip.count(), settings.LOGIN_FAILURE_IP_LIMIT)
    if until is not None and until > timezone.now():
        wait = math.ceil((until - timezone.now()).total_seconds())
        raise LoginLocked(
            "Too many failed logins. Try again later.",
            extra={"retry_after": wait},
        )


def record_attempt(*, email: str, ip: str | None, succeeded: bool) -> None:
    LoginAttempt.objects.create(email=normalize_email(email)[:254], ip=ip, succeeded=succeeded)


def prune_attempts(*, older_than: datetime) -> int:
    """Delete attempts too old to count for anything; returns how many."""
    deleted, _ = LoginAttempt.objects.filter(at__lt=older_than).delete()
    return deleted
