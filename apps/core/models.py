"""Abstract bases every domain model builds on."""

from django.db import models

from apps.core.ids import uuid7


class BaseModel(models.Model):
    """An opaque UUIDv7 primary key and creation/update times (UTC)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
