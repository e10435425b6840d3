"""Sending text messages through a pluggable backend (settings.SMS_BACKEND).

A backend is a class with ``send(to, body, reference=...)`` that raises on
failure; ``reference`` is the Notification id, safe to log. The default only
logs that a message went out: never the number, never the text.
"""

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("clinicops.sms")


class SmsBackend(Protocol):
    def send(self, to: str, body: str, *, reference: str) -> None: ...


class LoggingSmsBackend:
    """Development default: records that a message was sent, without contact data or content."""

    def send(self, to: str, body: str, *, reference: str) -> None:
        # No digest of the number either: phone numbers are few enough to brute-force a hash.
        logger.info("sms sent", extra={"notification_id": reference, "length": len(body)})


class LocmemSmsBackend:
    """For tests: keeps messages in ``LocmemSmsBackend.outbox``."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, body: str, *, reference: str) -> None:
        LocmemSmsBackend.outbox.append((to, body))


@cache
def _backend_class(path: str) -> type[SmsBackend]:
    backend: type[SmsBackend] = import_string(path)
    return backend


def get_sms_backend() -> SmsBackend:
    return _backend_class(settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str, reference: str) -> None:
    get_sms_backend().send(to, body, reference=reference)
