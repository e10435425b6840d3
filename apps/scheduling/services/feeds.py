"""Secret calendar subscription URLs: issue (which rotates), revoke, and the read through the URL."""

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.clinics.models import Clinic
from apps.core.roles import Role
from apps.scheduling.events import SchedulingEvent
from apps.scheduling.models import CalendarFeed
from apps.scheduling.services.appointments import require_own_or_others, require_practitioner


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _audit(
    actor: User | None, feed: CalendarFeed, event: SchedulingEvent, changes: dict[str, Any] | None = None
) -> None:
    audit_record(
        actor=actor, obj=feed, event=event, changes={"practitioner": str(feed.practitioner_id), **(changes or {})}
    )


@transaction.atomic
def calendar_feed_issue(*, actor: User, role: Role, clinic: Clinic, practitioner_id: Any) -> tuple[CalendarFeed, str]:
    """A new secret feed URL token for a practitioner in a clinic; the live one, if any, stops working.

    Returns the feed and the token (shown once; only its hash is stored).
    """
    require_practitioner(clinic.pk, practitioner_id)
    require_own_or_others(actor=actor, role=role, resource="calendar_feeds", practitioner_id=practitioner_id)
    now = timezone.now()
    live = list(
        CalendarFeed.objects.select_for_update().filter(
            clinic=clinic, practitioner_id=practitioner_id, revoked_at__isnull=True
        )
    )
    for old in live:
        old.revoked_at = now
        old.save(update_fields=["revoked_at", "updated_at"])
        _audit(actor, old, SchedulingEvent.CALENDAR_FEED_REVOKE, {"reason": "rotated"})
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        clinic=clinic, practitioner_id=practitioner_id, token_hash=feed_token_hash(token), created_by=actor
    )
    _audit(actor, feed, SchedulingEvent.CALENDAR_FEED_ISSUE, {"rotated": bool(live)})
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, actor: User, role: Role, feed: CalendarFeed) -> CalendarFeed:
    """Stop a feed URL for good (idempotent)."""
    require_own_or_others(actor=actor, role=role, resource="calendar_feeds", practitioner_id=feed.practitioner_id)
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        _audit(actor, feed, SchedulingEvent.CALENDAR_FEED_REVOKE, {"reason": "revoked"})
    return feed


def calendar_feed_used(*, feed: CalendarFeed, appointment_ids: list[Any]) -> None:
    """Record a read through the URL: the audit names the feed (no user is signed in) and what it disclosed."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    _audit(None, feed, SchedulingEvent.CALENDAR_FEED_READ, {"appointments": [str(pk) for pk in appointment_ids]})
