"""Tenancy, enforced in one place.

Every clinic-owned queryset that reaches the API goes through
``scope_queryset``; every write names its clinic and goes through
``require_role``. A clinic the caller does not belong to (or may not read the
resource in) looks exactly like a missing record: 404. A clinic they can read
but not write in: 403.
"""

import uuid
from typing import Any

from django.apps import apps
from django.db.models import Model, QuerySet
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from apps.core import context
from apps.core.errors import ForbiddenError, NotFoundError
from apps.core.roles import READ, WRITE, Role, allowed_roles

_ROLES_ATTR = "_clinicops_clinic_roles"


def clinic_roles(user: Any) -> dict[uuid.UUID, Role]:
    """The caller's role in each of their clinics: one query per request, then cached on the user."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, _ROLES_ATTR, None)
    if cached is None:
        membership = apps.get_model("clinics", "Membership")
        rows = membership.objects.filter(user_id=user.pk).values_list("clinic_id", "role")
        cached = {clinic_id: Role(role) for clinic_id, role in rows}
        setattr(user, _ROLES_ATTR, cached)
    return cached


def remember_clinic_roles(user: Any, roles: dict[uuid.UUID, Role]) -> None:
    """Seed the per-request cache that ``clinic_roles`` reads (authentication loads the user and roles at once)."""
    setattr(user, _ROLES_ATTR, roles)


def forget_roles(user: Any) -> None:
    """Drop the cached roles after a membership change made in this request."""
    if hasattr(user, _ROLES_ATTR):
        delattr(user, _ROLES_ATTR)


def clinic_ids_with(user: Any, resource: str, action: str = READ) -> list[uuid.UUID]:
    """Ids of the caller's clinics where their role allows ``action`` on ``resource``."""
    allowed = allowed_roles(resource, action)
    return [clinic_id for clinic_id, role in clinic_roles(user).items() if role in allowed]


def scope_queryset(
    queryset: QuerySet[Any], user: Any, *, resource: str, action: str = READ, clinic_field: str = "clinic"
) -> QuerySet[Any]:
    """Only the rows of clinics where the caller may ``action`` the ``resource``."""
    lookup = f"{clinic_field}_id__in" if clinic_field else "pk__in"
    return queryset.filter(**{lookup: clinic_ids_with(user, resource, action)})


def require_role(user: Any, clinic_id: Any, *, resource: str, action: str) -> Role:
    """The caller's role in ``clinic_id`` if it allows ``action``; 404 for a non-member, else 403."""
    try:
        key = clinic_id if isinstance(clinic_id, uuid.UUID) else uuid.UUID(str(clinic_id))
    except ValueError:
        raise NotFoundError("Clinic not found.") from None
    role = clinic_roles(user).get(key)
    if role is None:
        raise NotFoundError("Not found.")
    if role not in allowed_roles(resource, action):
        raise ForbiddenError(f"Your role ({role.value}) may not {action} {resource} in this clinic.")
    context.set_clinic(key)
    return role


def parse_uuid_param(raw: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationError({name: ["Must be a valid id."]}) from None


class ClinicScopedViewSet(viewsets.GenericViewSet):
    """Base for every API over clinic-owned rows.

    Subclasses set ``resource`` (a key of apps.core.roles.PERMISSIONS) and,
    where the clinic is not ``obj.clinic``, ``clinic_field`` ("" for the Clinic
    model itself). Nested routes set ``url_clinic_kwarg``: the clinic in the URL
    is checked before anything else. ``action_permissions`` maps a viewset
    action to the matrix action it needs, when that is not read/write.
    """

    permission_classes = [IsAuthenticated]
    resource: str = ""
    clinic_field: str = "clinic"
    url_clinic_kwarg: str | None = None
    # The matrix action that decides which clinics' rows are visible at all.
    scope_action: str = READ
    action_permissions: dict[str, str] = {}
    lookup_value_converter = "uuid"

    def required_action(self) -> str:
        if self.action in self.action_permissions:
            return self.action_permissions[self.action]
        return READ if self.request.method in ("GET", "HEAD", "OPTIONS") else WRITE

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.url_clinic_kwarg:
            raw_clinic_id = kwargs[self.url_clinic_kwarg]
            require_role(request.user, raw_clinic_id, resource=self.resource, action=self.required_action())
            self.url_clinic_id = uuid.UUID(str(raw_clinic_id))

    def get_base_queryset(self) -> QuerySet[Any]:
        queryset: QuerySet[Any] | None = getattr(self, "queryset", None)
        assert queryset is not None, f"{type(self).__name__} needs a queryset"
        return queryset.all()

    def get_queryset(self) -> QuerySet[Any]:
        queryset = scope_queryset(
            self.get_base_queryset(),
            self.request.user,
            resource=self.resource,
            action=self.scope_action,
            clinic_field=self.clinic_field,
        )
        raw_clinic = self.request.query_params.get("clinic")
        if self.action == "list" and raw_clinic and self.clinic_field:
            clinic_id = parse_uuid_param(raw_clinic, "clinic")
            require_role(self.request.user, clinic_id, resource=self.resource, action=self.scope_action)
            queryset = queryset.filter(**{f"{self.clinic_field}_id": clinic_id})
        return queryset

    def clinic_id_of(self, obj: Model) -> Any:
        return obj.pk if not self.clinic_field else getattr(obj, f"{self.clinic_field}_id")

    def get_object(self) -> Any:
        obj = super().get_object()
        require_role(self.request.user, self.clinic_id_of(obj), resource=self.resource, action=self.required_action())
        return obj

    def require_clinic_for_write(
        self, clinic_id: Any, *, field: str = "clinic", missing: str = "No such clinic."
    ) -> Role:
        """For creates: the clinic named in the body must allow the caller to write here.

        A clinic the caller does not belong to is a 400 on the body ``field``
        that named it (the same as a clinic that does not exist); a member
        whose role may not write gets 403.
        """
        try:
            return require_role(self.request.user, clinic_id, resource=self.resource, action=self.required_action())
        except NotFoundError:
            raise ValidationError({field: [missing]}) from None
