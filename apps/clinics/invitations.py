"""Consented membership: a manager invites an email address; the person accepts with the emailed token.

The answer to an invitation never says whether the email has an account, and
no one is added to a clinic without accepting. Accepting as an existing user
needs that user's own sign-in (the token alone does not join someone else's
account); for a new email it creates the account with the password given.
"""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import User, normalize_email
from apps.audit.record import audit_record
from apps.clinics.events import ClinicEvent
from apps.clinics.models import Clinic, Invitation, Membership
from apps.core.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from apps.core.roles import Role


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_list(*, clinic_id: Any) -> QuerySet[Invitation]:
    """A clinic's invitations, newest first."""
    return Invitation.objects.filter(clinic_id=clinic_id).select_related("clinic")


@transaction.atomic
def invitation_create(*, actor: User, actor_role: Role, clinic: Clinic, email: str, role: Role) -> Invitation:
    """Invite an email address to a role; the email carries the token. The same answer for any address."""
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise ForbiddenError("Only an owner may invite an owner.")
    email = normalize_email(email)
    # A pending invitation for the same address is replaced, so only the newest link works.
    Invitation.objects.filter(clinic=clinic, email=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        clinic=clinic,
        email=email,
        role=role,
        token_hash=_digest(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    audit_record(actor=actor, obj=invitation, event=ClinicEvent.INVITATION_CREATE, changes={"role": role})
    transaction.on_commit(lambda: _send(invitation, token))
    return invitation


def _send(invitation: Invitation, token: str) -> None:
    link = settings.INVITATION_ACCEPT_URL.format(token=token)
    body = (
        f"You are invited to join {invitation.clinic.name} on ClinicOps as {invitation.get_role_display()}.\n\n"
        f"Accept before {invitation.expires_at:%Y-%m-%d %H:%M} UTC: {link}\n"
        f"(or send this token to POST /api/v1/invitations/accept/: {token})\n\n"
        "If you did not expect this, ignore it: nothing happens unless you accept."
    )
    EmailMessage(subject=f"Invitation to {invitation.clinic.name}", body=body, to=[invitation.email]).send()


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation; its link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != "pending":
        raise ConflictError(f"The invitation is {invitation.status}.", code="invitation_not_pending")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_record(actor=actor, obj=invitation, event=ClinicEvent.INVITATION_REVOKE)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User | None, password: str = "", full_name: str = "") -> Membership:
    """Accept with the emailed token: as the signed-in invitee, or by creating the invitee's account."""
    invitation = Invitation.objects.select_for_update().filter(token_hash=_digest(token)).first()
    if invitation is None or invitation.status != "pending":
        # Unknown, used, revoked and expired tokens look alike.
        raise NotFoundError("This invitation is not valid (used, revoked or expired).", code="invitation_invalid")
    existing = User.objects.filter(email=invitation.email).first()
    if existing is not None:
        if user is None or user.pk != existing.pk:
            raise ApplicationError("Sign in as the invited user to accept.", code="sign_in_required", status_code=401)
        member = existing
    else:
        if user is not None and user.email != invitation.email:
            raise ForbiddenError("This invitation is for another email address.", code="invitation_other_user")
        if not password:
            raise ApplicationError(
                "Choose a password for the new account.", code="invalid", fields={"password": ["Required."]}
            )
        member = User(email=invitation.email, full_name=full_name)
        validate_password(password, member)
        member.set_password(password)
        member.save()
    if Membership.objects.filter(user=member, clinic_id=invitation.clinic_id).exists():
        raise ConflictError("You are already a member of this clinic.", code="already_member")
    membership = Membership.objects.create(user=member, clinic_id=invitation.clinic_id, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = member
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    audit_record(
        actor=member,
        obj=membership,
        event=ClinicEvent.INVITATION_ACCEPT,
        changes={"invitation": str(invitation.pk), "role": invitation.role, "new_account": existing is None},
    )
    return membership
