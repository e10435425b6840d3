"""Input and output shapes of the auth API."""

from rest_framework import serializers

from apps.core.serializers import StrictInputSerializer


class TokenObtainInput(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInput(StrictInputSerializer):
    refresh = serializers.CharField(max_length=4096)


class PasswordChangeInput(StrictInputSerializer):
    old_password = serializers.CharField(max_length=1024, trim_whitespace=False)
    new_password = serializers.CharField(max_length=1024, trim_whitespace=False)
