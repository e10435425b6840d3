"""Abstract bases every domain model builds on."""

from typing import Any, ClassVar, TypeVar

from django.db import models

from apps.core.ids import uuid7
from apps.core.roles import READ
from apps.core.tenancy import scope_queryset

_M = TypeVar("_M", bound=models.Model)


class BaseModel(models.Model):
    """An opaque UUIDv7 primary key and creation/update times (UTC)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ClinicOwnedQuerySet(models.QuerySet[_M]):
    """Rows that belong to a clinic: NetBox's ``restrict``, for our role matrix."""

    def visible_to(self, who: Any, resource: str, action: str = READ) -> "ClinicOwnedQuerySet[_M]":
        """Only rows of clinics where ``who`` (an ``Access`` or a user) may ``action`` the ``resource``."""
        return scope_queryset(self, who, resource=resource, action=action)  # type: ignore[return-value]

    def of_clinic(self, clinic_id: Any) -> "ClinicOwnedQuerySet[_M]":
        field = getattr(self.model, "clinic_field", "clinic")
        return self.filter(**{f"{field}_id" if field else "pk": clinic_id})


class ClinicOwned(models.Model):
    """Mixin for every model with a clinic: ``Model.objects.visible_to(access, resource, action)``.

    ``clinic_field`` names the foreign key to the clinic ("" for Clinic itself).
    """

    clinic_field: ClassVar[str] = "clinic"
    objects = ClinicOwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class ClinicOwnedModel(ClinicOwned, BaseModel):
    """A clinic-owned row with BaseModel's id and times: the base of most domain models."""

    class Meta:
        abstract = True
