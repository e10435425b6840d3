"""The audit trail: append-only, each event chained to the previous by hash."""

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.ids import uuid7
from apps.core.models import ClinicOwned

GENESIS_HASH = "0" * 64


class AuditEvent(ClinicOwned):
    """Who did what to which record, from where and when.

    The integer key orders the chain; ``event_id`` is the public id. ``changes``
    is a masked summary: field names and non-personal values only. Rows are
    never updated or deleted (a PostgreSQL trigger refuses it, too).
    """

    event_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clinic = models.ForeignKey("clinics.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=64)
    resource_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["clinic", "resource_type", "resource_id"], name="audit_clinic_resource"),
            models.Index(fields=["clinic", "at"], name="audit_clinic_at"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.resource_type}:{self.resource_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def canonical(self) -> str:
        """The fields the hash covers, in a stable text form."""
        payload: dict[str, Any] = {
            "event_id": str(self.event_id),
            "at": self.at.isoformat(),
            "actor": str(self.actor_id) if self.actor_id else None,
            "clinic": str(self.clinic_id) if self.clinic_id else None,
            "action": self.action,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "ip": self.ip,
            "request_id": self.request_id,
            "changes": self.changes,
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode()).hexdigest()
