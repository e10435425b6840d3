"""Input and output shapes of the auth API."""

from rest_framework import serializers

from apps.core.serializers import StrictInputSerializer


class TokenObtainInput(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=32, required=False, help_text="A code of the authenticator app, or a recovery code."
    )


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInput(StrictInputSerializer):
    refresh = serializers.CharField(max_length=4096)


class PasswordChangeInput(StrictInputSerializer):
    old_password = serializers.CharField(max_length=1024, trim_whitespace=False)
    new_password = serializers.CharField(max_length=1024, trim_whitespace=False)


class MfaStatusOutput(serializers.Serializer):
    enrolled = serializers.BooleanField()
    required_by_clinic = serializers.BooleanField(help_text="A clinic where you are an owner or admin requires it.")
    recovery_codes_left = serializers.IntegerField()


class MfaEnrollOutput(serializers.Serializer):
    otpauth_uri = serializers.CharField(help_text="Scan it (as a QR code) or open it with an authenticator app.")
    secret = serializers.CharField(help_text="The same key in base32, for typing in by hand.")


class MfaCodeInput(StrictInputSerializer):
    code = serializers.CharField(max_length=32)


class MfaConfirmOutput(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text="Shown this once.")
    access = serializers.CharField()
    refresh = serializers.CharField()


class RecoveryCodesOutput(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField(), help_text="Shown this once.")


class MfaDisableInput(StrictInputSerializer):
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    code = serializers.CharField(max_length=32)
