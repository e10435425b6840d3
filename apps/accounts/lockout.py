"""Login lock-out: too many recent failures for an account or an address.

Counted in the database (LoginAttempt), so it holds through Redis outages.
Every path that checks a password (the API's token endpoint, the admin login,
``auth/password/``'s old password) goes through ``password_check_guarded``:
it takes the account's ``LoginGuard`` row lock, refuses a locked account or
address, checks the password, and records and audits the outcome, all before
the lock is released. Parallel guesses therefore queue behind each other and
cannot buy more than the limit. An account's counter starts again after a
successful login or an unlock; a locked account refuses even the right
password until the cool-off has passed.
"""

import math
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.accounts.events import AccountEvent
from apps.accounts.models import LoginAttempt, LoginGuard, User, normalize_email
from apps.audit.record import AuditTarget, audit_record
from apps.core.errors import ApplicationError

T = TypeVar("T")


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


def _lock_account(email: str) -> None:
    # Insert-if-missing then lock: concurrent first attempts of one name meet on one row.
    LoginGuard.objects.bulk_create([LoginGuard(email=email)], ignore_conflicts=True)
    LoginGuard.objects.select_for_update().filter(email=email).exists()


def password_check_guarded(*, email: str, ip: str | None, path: str, check: Callable[[], T | None]) -> T | None:
    """Run one password ``check`` for ``email`` under the lock-out; its result, None for a wrong password.

    ``check`` returns something truthy on success (the user). ``path`` names
    the login path in the audit trail ("api", "admin", "password_change").
    Raises LoginLocked without calling ``check`` when the account or address
    is locked.
    """
    email = normalize_email(email)[:254]
    try:
        with transaction.atomic():
            _lock_account(email)
            lockout_check(email=email, ip=ip)
            result = check()
            record_attempt(email=email, ip=ip, succeeded=bool(result))
            _audit(email=email, event=AccountEvent.LOGIN if result else AccountEvent.LOGIN_FAILED, path=path)
    except LoginLocked:
        # Recorded after the rollback, so the refusal itself stays on the trail.
        _audit(email=email, event=AccountEvent.LOGIN_LOCKED, path=path)
        raise
    return result


def _audit(*, email: str, event: AccountEvent, path: str) -> None:
    known = User.objects.filter(email=email).first()
    actor = known if event == AccountEvent.LOGIN else None
    audit_record(actor=actor, obj=known or AuditTarget("user", ""), event=event, changes={"path": path})


def lockout_clear(*, email: str | None = None, ip: str | None = None, actor: User | None = None) -> int:
    """Unlock an account and/or an address: their failures in the window stop counting; returns how many."""
    assert email or ip, "name an account or an address"
    failures = LoginAttempt.objects.filter(succeeded=False, at__gte=_window_start())
    if email:
        failures = failures.filter(email=normalize_email(email))
    if ip:
        failures = failures.filter(ip=ip)
    cleared, _ = failures.delete()
    known = User.objects.filter(email=normalize_email(email)).first() if email else None
    audit_record(
        actor=actor,
        obj=known or AuditTarget("user", ""),
        event=AccountEvent.UNLOCK,
        changes={"cleared": cleared, "address": bool(ip)},
    )
    return cleared


def prune_attempts(*, older_than: datetime) -> int:
    """Delete attempts too old to count for anything; returns how many."""
    deleted, _ = LoginAttempt.objects.filter(at__lt=older_than).delete()
    return deleted
