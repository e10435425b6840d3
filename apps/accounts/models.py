"""Staff accounts: email login, Argon2 passwords, and the login-failure log."""

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.password_validation import validate_password
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from apps.core.ids import uuid7


class UserManager(BaseUserManager["User"]):
    """Creates users with a normalised email and a validated password."""

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("Users need an email address")
        user = self.model(email=normalize_email(email), **extra)
        if password is None:
            user.set_unusable_password()
        else:
            validate_password(password, user)
            user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=normalize_email(username or ""))


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively: we store them lower-cased and trimmed."""
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Logs in with email; belongs to clinics through memberships."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to /admin/.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)


class LoginAttempt(models.Model):
    """One token request: who it named, from where, and whether it succeeded.

    The lock-out counts recent failures here, in the database, so it holds on
    every login path and survives a Redis outage. Old rows are pruned daily.
    """

    email = models.CharField(max_length=254)
    ip = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField()
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["email", "at"], name="accounts_login_email_at"),
            models.Index(fields=["ip", "at"], name="accounts_login_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{'ok' if self.succeeded else 'failed'} login at {self.at:%Y-%m-%d %H:%M}"


class LoginGuard(models.Model):
    """One row per account name that was ever tried: the lock every password check of it takes.

    Checks of one account's password run one at a time under this row's lock,
    so parallel guesses cannot all pass the "fewer than N failures" test before
    any of them is counted. Other accounts never wait on it.
    """

    email = models.CharField(max_length=254, primary_key=True)

    def __str__(self) -> str:
        return "login guard"


class RecoveryCode(models.Model):
    """A one-time recovery code of a user's second factor, stored as its SHA-256 digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "recovery code"
