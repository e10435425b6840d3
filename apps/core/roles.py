"""Roles and the permission matrix of DESIGN.md, in one table.

``PERMISSIONS[resource][action]`` is the set of roles allowed; tenancy
(apps.core.tenancy) is the only reader of this table.
"""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    PRACTITIONER = "practitioner", "Practitioner"
    RECEPTIONIST = "receptionist", "Receptionist"
    BILLING = "billing", "Billing"


ALL_ROLES = frozenset(Role)
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})

READ = "read"
WRITE = "write"
ARCHIVE = "archive"

PERMISSIONS: dict[str, dict[str, frozenset[Role]]] = {
    # the clinic record itself (name, time zone, ...): settings
    "clinic": {READ: ALL_ROLES, WRITE: MANAGERS},
    "members": {READ: MANAGERS, WRITE: MANAGERS},
    "audit": {READ: MANAGERS, WRITE: frozenset()},
    "patients": {
        READ: ALL_ROLES,
        WRITE: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER, Role.RECEPTIONIST}),
        ARCHIVE: MANAGERS,
        "read_archived": frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER}),
        "override_duplicate": frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER}),
        "export": MANAGERS,
    },
    # Practitioners write only their own (the services check "write_others"); everyone reads the clinic's.
    "appointments": {
        READ: ALL_ROLES,
        WRITE: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER, Role.RECEPTIONIST}),
        "write_others": frozenset({Role.OWNER, Role.ADMIN, Role.RECEPTIONIST}),
        "override_availability": frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER}),
    },
    "availability": {
        READ: ALL_ROLES,
        WRITE: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER, Role.RECEPTIONIST}),
        "write_others": frozenset({Role.OWNER, Role.ADMIN, Role.RECEPTIONIST}),
    },
}


def role_may(role: Role | None, resource: str, action: str) -> bool:
    return role is not None and role in allowed_roles(resource, action)


def allowed_roles(resource: str, action: str) -> frozenset[Role]:
    """The roles that may do ``action`` on ``resource``; unknown pairs allow nobody."""
    return PERMISSIONS.get(resource, {}).get(action, frozenset())
