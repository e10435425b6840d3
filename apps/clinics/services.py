"""Writes to clinics and memberships. Every change is audited."""

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.clinics.events import ClinicEvent
from apps.clinics.models import Clinic, ClinicCounter, Membership
from apps.core.errors import ConflictError, ForbiddenError
from apps.core.roles import Role
from apps.core.services import model_update


def clinic_counter_next(*, clinic_id: uuid.UUID, key: str) -> int:
    """The next value of a per-clinic sequence; gapless, because it commits or rolls back with the caller.

    Must run inside the caller's transaction: the row stays locked until it ends,
    so concurrent callers queue instead of getting the same value.
    """
    ClinicCounter.objects.bulk_create([ClinicCounter(clinic_id=clinic_id, key=key)], ignore_conflicts=True)
    counter = ClinicCounter.objects.select_for_update().get(clinic_id=clinic_id, key=key)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


def _unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "clinic"
    slug = base
    while Clinic.objects.filter(slug=slug).exists():
        slug = f"{base}-{uuid.uuid4().hex[:6]}"
    return slug


def _save_clinic(clinic: Clinic) -> None:
    clinic.full_clean(validate_unique=False)  # the unique index decides, race-free
    try:
        with transaction.atomic():
            clinic.save()
    except IntegrityError:
        raise ConflictError("A clinic with this slug exists.", code="slug_taken", fields={"slug": ["Taken."]}) from None


@transaction.atomic
def clinic_create(*, actor: User, name: str, slug: str = "", **fields: Any) -> Clinic:
    """Create a clinic; its creator becomes its owner."""
    clinic = Clinic(name=name, slug=slug or _unique_slug(name), **fields)
    _save_clinic(clinic)
    Membership.objects.create(user=actor, clinic=clinic, role=Role.OWNER)
    audit_record(actor=actor, obj=clinic, event=ClinicEvent.CREATE)
    return clinic


@transaction.atomic
def clinic_update(*, actor: User, clinic: Clinic, **changes: Any) -> Clinic:
    """Change a clinic's settings; the audit records the new values (none are personal data)."""
    changed = model_update(instance=clinic, data=changes, save=False)
    if changed:
        _save_clinic(clinic)
        audit_record(
            actor=actor,
            obj=clinic,
            event=ClinicEvent.UPDATE,
            changes={name: str(changes[name]) for name in changed},
        )
    return clinic


def _lock_clinic(clinic_id: uuid.UUID) -> None:
    # Serialise membership changes per clinic, so "the last owner" is counted
    # consistently under concurrent requests.
    Clinic.objects.select_for_update().filter(pk=clinic_id).first()


def _other_owners(membership: Membership) -> int:
    return Membership.objects.filter(clinic_id=membership.clinic_id, role=Role.OWNER).exclude(pk=membership.pk).count()


def _require_may_manage(role: Role, *roles: str) -> None:
    if Role.OWNER in roles and role != Role.OWNER:
        raise ForbiddenError("Only an owner may grant, change or remove the owner role.")


@transaction.atomic
def membership_change_role(*, actor: User, role: Role, membership: Membership, member_role: Role) -> Membership:
    """Change a member's role to ``member_role``; admins cannot touch owners; a clinic keeps an owner.

    ``role`` is the actor's role in the clinic (the services' convention).
    """
    _lock_clinic(membership.clinic_id)
    membership.refresh_from_db()
    _require_may_manage(role, membership.role, member_role)
    if membership.role == member_role:
        return membership
    if membership.role == Role.OWNER and _other_owners(membership) == 0:
        raise ConflictError("A clinic must keep at least one owner.", code="last_owner")
    previous = membership.role
    model_update(instance=membership, data={"role": member_role}, clean=False)  # a choice the API validated
    audit_record(
        actor=actor,
        obj=membership,
        event=ClinicEvent.MEMBERSHIP_CHANGE_ROLE,
        changes={"user": str(membership.user_id), "role": {"from": previous, "to": member_role}},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, role: Role, membership: Membership) -> None:
    """Remove a member, or the actor leaving (their own membership); never the last owner.

    ``role`` is the actor's role in the clinic: only an owner removes an owner
    (one leaving holds the role they leave, so an owner may always leave).
    """
    _lock_clinic(membership.clinic_id)
    membership.refresh_from_db()
    _require_may_manage(role, membership.role)
    if membership.role == Role.OWNER and _other_owners(membership) == 0:
        raise ConflictError("The last owner cannot leave or be removed.", code="last_owner")
    event = ClinicEvent.MEMBERSHIP_LEAVE if membership.user_id == actor.pk else ClinicEvent.MEMBERSHIP_REMOVE
    audit_record(
        actor=actor,
        obj=membership,
        event=event,
        changes={"user": str(membership.user_id), "role": membership.role},
    )
    membership.delete()
