"""Reads of clinics and memberships."""

import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from apps.clinics.models import Clinic, Membership
from apps.core.tenancy import Access, scope_queryset


def clinic_role_rows(user_id: Any) -> QuerySet[Membership, tuple[uuid.UUID, str]]:
    """``(clinic_id, role)`` of a user's memberships: the loader behind apps.core.tenancy.clinic_roles."""
    return Membership.objects.filter(user_id=user_id).values_list("clinic_id", "role")


def clinic_queryset() -> QuerySet[Clinic]:
    """All clinics; the API scopes it to the caller's memberships (apps.core.tenancy)."""
    return Clinic.objects.order_by("name", "id")


def clinic_list(*, access: Access, filters: dict[str, Any], paginate: Any) -> Sequence[Clinic]:
    """The caller's clinics, by name (every role reads its clinic's settings)."""
    return paginate(scope_queryset(clinic_queryset(), access, resource="clinic"))


def membership_list(*, access: Access, filters: dict[str, Any], paginate: Any) -> Sequence[Membership]:
    """The members of the clinic ``access`` is narrowed to (the URL's), with their users, in one query."""
    members = Membership.objects.visible_to(access, "members").select_related("user").order_by("user__email", "id")
    return paginate(members)


def membership_of(*, clinic_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    return Membership.objects.filter(clinic_id=clinic_id, user_id=user_id).first()


def user_memberships(*, user: Any) -> QuerySet[Membership]:
    """The user's clinics and roles, with the clinic loaded in the same query."""
    return Membership.objects.filter(user=user).select_related("clinic").order_by("clinic__name")
