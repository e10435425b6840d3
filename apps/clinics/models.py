"""Clinics (the tenants) and who works in them."""

import zoneinfo

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from apps.clinics.locales import CLINIC_LOCALES
from apps.core.currencies import is_currency
from apps.core.models import BaseModel, ClinicOwned, ClinicOwnedModel
from apps.core.roles import Role


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone.", code="invalid_time_zone")


def validate_country(value: str) -> None:
    if value and value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"{value!r} is not an ISO 3166 country code.", code="invalid_country")


def validate_currency(value: str) -> None:
    if not is_currency(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code.", code="invalid_currency")


class Clinic(ClinicOwned, BaseModel):
    """An outpatient clinic: the unit of tenancy. Every clinic-owned row points here."""

    clinic_field = ""  # a clinic owns itself: visible_to() filters on the primary key

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    # Where local phone numbers are dialled from: "030 1234567" in DE is +49301234567.
    country = models.CharField(max_length=2, blank=True, default="", validators=[validate_country])
    address = models.TextField(blank=True, max_length=1000)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    # Owners and admins of this clinic must use a second factor (apps/accounts/mfa.py).
    require_mfa_for_managers = models.BooleanField(default=False, db_default=False)
    # What an invoice must carry (e.g. in Germany, UStG section 14): the legal name and the tax number.
    legal_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    tax_number = models.CharField(max_length=40, blank=True, default="", db_default="")
    # BCP 47 ("de-DE", "en-US"): how invoices format amounts and dates, and their labels' language;
    # blank keeps "103.80 EUR", ISO dates and English labels. One of apps/clinics/locales.py.
    locale = models.CharField(
        max_length=16, blank=True, default="", db_default="", choices=list(CLINIC_LOCALES.items())
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(ClinicOwnedModel):
    """A user's role in one clinic. A user has at most one role per clinic."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["clinic", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "clinic"], name="clinics_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} is {self.role} at {self.clinic_id}"


class ClinicCounter(ClinicOwned):
    """Gapless per-clinic sequences (MRNs, invoice numbers), advanced under a row lock."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="clinics_counter_unique")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class Invitation(ClinicOwnedModel):
    """An offer of a role in a clinic, sent by email; a membership exists only once it is accepted.

    The token travels only in the email; the row keeps its SHA-256 digest.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "email"], name="clinics_invitation_email")]

    def __str__(self) -> str:
        return f"invitation {self.pk}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
