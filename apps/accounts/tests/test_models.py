import pytest
from django.core.exceptions import ValidationError

from apps.accounts.models import User


@pytest.mark.django_db
def test_create_user_validates_the_password_and_normalises_the_email():
    with pytest.raises(ValidationError):
        User.objects.create_user("Someone@Example.test", "short")
    assert not User.objects.exists()
    user = User.objects.create_user("  Someone@Example.TEST ", "a-long-enough-passphrase-9")
    assert user.email == "someone@example.test"
    assert user.check_password("a-long-enough-passphrase-9")


@pytest.mark.django_db
def test_emails_are_unique_case_insensitively():
    User.objects.create_user("dup@example.test", "a-long-enough-passphrase-9")
    with pytest.raises(ValidationError):
        User.objects.create_user("DUP@example.test", "a-long-enough-passphrase-9")


def test_passwords_hash_with_argon2_outside_tests():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
