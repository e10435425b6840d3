"""Tenancy, enforced in one place: who may reach which clinic's rows.

The pieces (docs/decisions.md, "Tenancy and outputs"):

* ``clinic_roles(user)``: the caller's ``{clinic_id: Role}``, loaded once per
  request through the loader the clinics app registers (core imports no
  domain app) and cached on the user (``remember_clinic_roles`` sets it).
* ``Access``: that map plus, once known, the one clinic a request is about
  (from the URL, the object, ``?clinic=`` or a create's body). The base
  viewset (apps.core.viewsets) builds it once and hands it to selectors.
* ``scope_queryset`` / ``ClinicOwnedQuerySet.visible_to(access, resource,
  action)``: only rows of clinics where the role allows ``action``.
* ``Access.require``: 404 for a clinic the caller is not in (exactly like a
  missing record), 403 for a member whose role does not allow the action.
* ``record_by_id``: Zulip's ``access_stream_by_id``; one scoped lookup of a
  record named by a body or URL, one answer for missing and forbidden.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from rest_framework.exceptions import ValidationError

from apps.core import context
from apps.core.errors import ForbiddenError, NotFoundError
from apps.core.roles import READ, Role, allowed_roles

_M = TypeVar("_M", bound=Model)
_ROLES_ATTR = "_clinicops_clinic_roles"

# user id -> (clinic_id, role value) rows; registered by the clinics app (ClinicsConfig.ready).
ClinicRolesLoader = Callable[[Any], Iterable[tuple[uuid.UUID, str]]]
_roles_loader: ClinicRolesLoader | None = None


def register_clinic_roles_loader(loader: ClinicRolesLoader) -> None:
    """Called once by the app that owns memberships, so core never imports it."""
    global _roles_loader
    _roles_loader = loader


def remember_clinic_roles(user: Any, roles: Mapping[uuid.UUID, Role]) -> None:
    """Set the ``{clinic_id: Role}`` cache that ``clinic_roles`` reads (e.g. loaded with the token)."""
    setattr(user, _ROLES_ATTR, dict(roles))


def clinic_roles(user: Any) -> dict[uuid.UUID, Role]:
    """The caller's role in each of their clinics: one query per request, then cached on the user."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached: dict[uuid.UUID, Role] | None = getattr(user, _ROLES_ATTR, None)
    if cached is None:
        if _roles_loader is None:
            raise ImproperlyConfigured("No clinic roles loader registered (is apps.clinics installed?)")
        cached = {clinic_id: Role(role) for clinic_id, role in _roles_loader(user.pk)}
        setattr(user, _ROLES_ATTR, cached)
    return cached


def forget_roles(user: Any) -> None:
    """Drop the cached roles after a membership change made in this request."""
    if hasattr(user, _ROLES_ATTR):
        delattr(user, _ROLES_ATTR)


def as_clinic_id(raw: Any) -> uuid.UUID | None:
    """``raw`` as a clinic id, or None when it cannot be one."""
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


@dataclass(frozen=True)
class Access:
    """What the caller may reach: their user, their role in each clinic, and the clinic in question.

    ``clinic_id`` is set once a request is about one clinic (``require``):
    then ``clinic_ids`` covers that clinic only and ``role`` is the role there.
    Immutable: narrowing returns a new value.
    """

    user: Any
    roles: Mapping[uuid.UUID, Role]
    clinic_id: uuid.UUID | None = None

    @property
    def role(self) -> Role:
        """The role in the clinic this access was narrowed to (only after ``require``)."""
        role = self.role_in(self.clinic_id) if self.clinic_id is not None else None
        if role is None:
            raise ImproperlyConfigured("Access.role read before the access was narrowed to a clinic.")
        return role

    def role_in(self, clinic_id: Any) -> Role | None:
        key = as_clinic_id(clinic_id)
        if key is None or (self.clinic_id is not None and key != self.clinic_id):
            return None
        return self.roles.get(key)

    def clinic_ids(self, resource: str, action: str = READ) -> list[uuid.UUID]:
        """The clinics (of this access) where the role allows ``action`` on ``resource``."""
        allowed = allowed_roles(resource, action)
        return [
            clinic_id
            for clinic_id, role in self.roles.items()
            if role in allowed and (self.clinic_id is None or clinic_id == self.clinic_id)
        ]

    def may(self, resource: str, action: str, clinic_id: Any = None) -> bool:
        role = self.role_in(clinic_id if clinic_id is not None else self.clinic_id)
        return role is not None and role in allowed_roles(resource, action)

    def require(self, clinic_id: Any, *, resource: str, action: str) -> "Access":
        """This access narrowed to ``clinic_id``: 404 if not a member there, 403 if the role may not ``action``."""
        key = as_clinic_id(clinic_id)
        role = self.role_in(key) if key is not None else None
        if key is None or role is None:
            raise NotFoundError("Not found.")
        if role not in allowed_roles(resource, action):
            raise ForbiddenError(f"Your role ({role.value}) may not {action} {resource} in this clinic.")
        context.set_clinic(key)  # logs and audit carry the clinic from here on
        return replace(self, clinic_id=key)


def access_of(who: Any) -> Access:
    """The ``Access`` of a user (an ``Access`` is returned as it is)."""
    if isinstance(who, Access):
        return who
    return Access(user=who, roles=clinic_roles(who))


def clinic_ids_with(who: Any, resource: str, action: str = READ) -> list[uuid.UUID]:
    """Ids of the caller's clinics where their role allows ``action`` on ``resource``."""
    return access_of(who).clinic_ids(resource, action)


def clinic_field_of(model: type[Model]) -> str:
    """The foreign key naming a model's clinic ("" for the Clinic model itself)."""
    return str(getattr(model, "clinic_field", "clinic"))


def scope_queryset(
    queryset: QuerySet[_M], who: Any, *, resource: str, action: str = READ, clinic_field: str | None = None
) -> QuerySet[_M]:
    """Only the rows of clinics where the caller may ``action`` the ``resource``.

    ``who`` is an ``Access`` or a user; ``clinic_field`` defaults to the model's
    (``ClinicOwned.clinic_field``), "" meaning the rows are clinics.
    """
    if clinic_field is None:
        clinic_field = clinic_field_of(queryset.model)
    lookup = f"{clinic_field}_id__in" if clinic_field else "pk__in"
    return queryset.filter(**{lookup: access_of(who).clinic_ids(resource, action)})


def require_role(who: Any, clinic_id: Any, *, resource: str, action: str) -> Role:
    """The caller's role in ``clinic_id`` if it allows ``action``; 404 for a non-member, else 403."""
    return access_of(who).require(clinic_id, resource=resource, action=action).role


def record_by_id(
    queryset: QuerySet[_M],
    access: Access,
    record_id: Any,
    *,
    resource: str,
    action: str = READ,
    field: str | None = None,
    noun: str = "record",
) -> _M:
    """The record ``record_id`` of ``queryset`` if the caller may ``action`` it (Zulip's access_stream_by_id).

    Missing, of another clinic, or unreadable: one answer, so nothing leaks:
    404, or when a request body named it (``field``), a 400 on that field.
    Readable but the role may not ``action`` it: 403. Callers that need the
    role afterwards read ``access.require(...)`` or ``access.role_in(record's clinic)``.
    """
    clinic_field = clinic_field_of(queryset.model)
    key = as_clinic_id(record_id)
    record = None
    if key is not None:
        record = scope_queryset(queryset, access, resource=resource, action=READ).filter(pk=key).first()
    if record is None:
        if field is not None:
            raise ValidationError({field: [f"No such {noun}."]})
        raise NotFoundError("Not found.")
    if action != READ:
        clinic_id = getattr(record, f"{clinic_field}_id") if clinic_field else record.pk
        access.require(clinic_id, resource=resource, action=action)
    return record


def parse_uuid_param(raw: str, name: str) -> uuid.UUID:
    """A query parameter that must be an id: 400 on ``name`` otherwise."""
    key = as_clinic_id(raw)
    if key is None:
        raise ValidationError({name: ["Must be a valid id."]})
    return key


def __getattr__(name: str) -> Any:
    # The base viewset moved to apps.core.viewsets; old imports keep working.
    if name == "ClinicScopedViewSet":
        from apps.core.viewsets import ClinicScopedViewSet

        return ClinicScopedViewSet
    raise AttributeError(name)
