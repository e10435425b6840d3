"""Reads of clinics and memberships."""

import uuid

from django.db.models import QuerySet

from apps.clinics.models import Clinic, Membership


def clinic_queryset() -> QuerySet[Clinic]:
    """All clinics; the API scopes it to the caller's memberships (apps.core.tenancy)."""
    return Clinic.objects.order_by("name", "id")


def membership_list(*, clinic_id: uuid.UUID) -> QuerySet[Membership]:
    """A clinic's members with their users, in one query."""
    return Membership.objects.filter(clinic_id=clinic_id).select_related("user").order_by("user__email")


def membership_of(*, clinic_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    return Membership.objects.filter(clinic_id=clinic_id, user_id=user_id).first()
