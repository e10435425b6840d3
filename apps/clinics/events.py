"""The audit vocabulary of clinics and memberships."""

from django.db import models


class ClinicEvent(models.TextChoices):
    """Audit actions recorded by apps.clinics (the stored value is the ``action``)."""

    CREATE = "clinic.create", "Clinic created"
    UPDATE = "clinic.update", "Clinic settings changed"
    MEMBERSHIP_ADD = "membership.add", "Member added"
    MEMBERSHIP_CHANGE_ROLE = "membership.change_role", "Member's role changed"
    MEMBERSHIP_REMOVE = "membership.remove", "Member removed"
    MEMBERSHIP_LEAVE = "membership.leave", "Member left"
    INVITATION_CREATE = "invitation.create", "Invitation sent"
    INVITATION_REVOKE = "invitation.revoke", "Invitation revoked"
    INVITATION_ACCEPT = "invitation.accept", "Invitation accepted"
