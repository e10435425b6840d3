"""Input and output shapes of the clinics API."""

from typing import Any

from rest_framework import serializers

from apps.clinics.locales import CLINIC_LOCALES
from apps.clinics.models import Clinic, Membership, validate_country, validate_currency, validate_time_zone
from apps.core.roles import Role
from apps.core.serializers import StrictInputSerializer, no_control_characters
from apps.core.tenancy import clinic_roles


class ClinicOutput(serializers.ModelSerializer[Clinic]):
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Clinic
        fields = [
            "id",
            "name",
            "slug",
            "time_zone",
            "currency",
            "country",
            "address",
            "phone",
            "email",
            "require_mfa_for_managers",
            "legal_name",
            "tax_number",
            "locale",
            "my_role",
            "created_at",
        ]

    def get_my_role(self, clinic: Clinic) -> str | None:
        role = clinic_roles(self.context["request"].user).get(clinic.pk)
        return role.value if role else None


class ClinicCreateInput(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=80, required=False)
    time_zone = serializers.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    currency = serializers.CharField(max_length=3, default="EUR", validators=[validate_currency])
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, validators=[validate_country])
    address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    require_mfa_for_managers = serializers.BooleanField(required=False)
    # What invoices print: the legal name beside the trading name, the tax number, the locale's formats and labels.
    legal_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, validators=[no_control_characters]
    )
    tax_number = serializers.CharField(
        max_length=40, required=False, allow_blank=True, validators=[no_control_characters]
    )
    locale = serializers.ChoiceField(
        choices=list(CLINIC_LOCALES.items()),
        required=False,
        allow_blank=True,
        help_text="BCP 47, e.g. de-DE: amounts, dates and labels of invoices; blank: 103.80 EUR, ISO dates, English.",
    )


class ClinicUpdateInput(ClinicCreateInput):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["time_zone"].default = serializers.empty
        self.fields["currency"].default = serializers.empty


class MemberUserOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class MemberOutput(serializers.ModelSerializer[Membership]):
    user = MemberUserOutput()

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]


class MemberUpdateInput(StrictInputSerializer):
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipClinicOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    time_zone = serializers.CharField()
    currency = serializers.CharField()


class MyMembershipOutput(serializers.ModelSerializer[Membership]):
    clinic = MembershipClinicOutput()

    class Meta:
        model = Membership
        fields = ["id", "clinic", "role"]


class MeOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    is_staff = serializers.BooleanField()
    memberships = MyMembershipOutput(many=True)
