"""Roles and the permission matrix of DESIGN.md, in one table.

``PERMISSIONS[resource][action]`` is the set of roles allowed. Its readers:
apps.core.tenancy (``Access``: which clinics a role reaches, 404/403), the
base viewset (apps.core.viewsets: each action's required matrix action),
services that decide on a finer action than the route's (``role_may``, e.g.
``override_duplicate``, ``write_others``), and the persona test suite.
No other table of roles exists: a rule about who may do what belongs here.
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
BILLERS = frozenset({Role.OWNER, Role.ADMIN, Role.BILLING})

READ = "read"
WRITE = "write"
ARCHIVE = "archive"
CREATE = "create"

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
        # Merging two records of one person (and undoing it): the clinic's managers.
        "merge": MANAGERS,
    },
    # Billing (DESIGN.md): owners, admins and billing read and write; receptionists
    # create, issue and take payments, and edit or delete the drafts they created
    # themselves ("write_own_draft"; apps.billing.drafts), not others' drafts,
    # void or refund; practitioners read. Actions are keyed by the URL's resource:
    # invoices/{id}/payments/ is "take_payment" on invoices.
    "services": {READ: ALL_ROLES, WRITE: BILLERS},
    "invoices": {
        READ: ALL_ROLES,
        CREATE: BILLERS | {Role.RECEPTIONIST},
        WRITE: BILLERS,
        "write_own_draft": BILLERS | {Role.RECEPTIONIST},
        "issue": BILLERS | {Role.RECEPTIONIST},
        "take_payment": BILLERS | {Role.RECEPTIONIST},
        "void": BILLERS,
        "reissue": BILLERS,
    },
    "payments": {READ: ALL_ROLES, WRITE: frozenset(), "refund": BILLERS},
    # Credit notes correct issued invoices (and may refund): the roles that void and refund.
    "credit_notes": {READ: ALL_ROLES, WRITE: BILLERS},
    # Revenue and aging: the roles that read invoices, less the front desk.
    "reports": {READ: BILLERS | {Role.PRACTITIONER}, WRITE: frozenset()},
    # Practitioners write only their own (the services check "write_others"); everyone reads the clinic's.
    "appointments": {
        READ: ALL_ROLES,
        WRITE: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER, Role.RECEPTIONIST}),
        "write_others": frozenset({Role.OWNER, Role.ADMIN, Role.RECEPTIONIST}),
        "override_availability": frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER}),
    },
    # DESIGN.md's clinical-notes column: practitioners read and write their own
    # visit records (apps.visits.selectors narrows READ to own unless "read_others");
    # owners and admins read all; receptionists and billing nothing.
    "clinical_notes": {
        READ: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER}),
        "read_others": MANAGERS,
        WRITE: frozenset({Role.PRACTITIONER}),
    },
    # The legacy appointment ``notes`` field (may hold clinical content): the roles that read
    # clinical notes. Front-desk remarks live in ``front_desk_note`` (appointments).
    "appointment_notes": {
        READ: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER}),
        WRITE: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER}),
    },
    # Secret calendar subscription URLs: a practitioner manages their own, managers anyone's.
    "calendar_feeds": {
        READ: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER}),
        WRITE: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER}),
        "write_others": MANAGERS,
    },
    # The waitlist and its offers (they name patients): the front desk, managers and practitioners
    # read; the front desk and managers put patients on it and confirm or decline offers. Billing: none.
    "waitlist": {
        READ: frozenset({Role.OWNER, Role.ADMIN, Role.PRACTITIONER, Role.RECEPTIONIST}),
        WRITE: frozenset({Role.OWNER, Role.ADMIN, Role.RECEPTIONIST}),
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
