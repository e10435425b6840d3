"""Input and output shapes of the billing API.

Money comes in as strings or JSON numbers and becomes Decimal; more decimal
places than allowed (the binary noise of a float, or a fifth place on a
price) is refused with 400. Money goes out as strings with exactly the
currency's decimal places.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.billing.models import CatalogItem, Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentMethod, Refund
from apps.billing.money import format_money, plain_decimal
from apps.core.converters import as_date, as_id, as_instant
from apps.core.dates import BoundedDateField
from apps.core.filters import IdParam, ListFilter, ordering_param
from apps.core.outputs import OutputField, OutputSpec, computed, field
from apps.core.serializers import StrictInputSerializer, no_control_characters

MAX_PERCENT = Decimal("100")


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, validators=[no_control_characters], **kwargs)


def more_than_zero(value: Decimal) -> None:
    if value <= 0:
        raise serializers.ValidationError("Must be more than zero.")


def _price(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=4, min_value=Decimal("0"), **kwargs)


def _tax_rate(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=7, decimal_places=4, min_value=Decimal("0"), max_value=MAX_PERCENT, **kwargs
    )


def _amount() -> serializers.DecimalField:
    # Four places at most here; the currency's own limit (2 for EUR, 0 for JPY) is the service's check.
    return serializers.DecimalField(max_digits=14, decimal_places=4, validators=[more_than_zero])


def _currency() -> serializers.CharField:
    return serializers.CharField(max_length=3, min_length=3, required=False, help_text="ISO 4217; the clinic's")


# --- Inputs --------------------------------------------------------------


class ServiceFields(StrictInputSerializer):
    code = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$", max_length=30)
    name = _text(200)
    price = _price()
    tax_rate = _tax_rate(default=Decimal("0"), help_text="Percent: 19 means 19 %")
    active = serializers.BooleanField(default=True)
    currency = _currency()


class ServiceCreateInput(ServiceFields):
    clinic = serializers.UUIDField()


class ServiceUpdateInput(ServiceFields):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)
        self.fields["tax_rate"].default = serializers.empty
        self.fields["active"].default = serializers.empty


class LineInput(StrictInputSerializer):
    """A catalog service (price and rate default to the catalog's) or free text with a price."""

    service = serializers.UUIDField(required=False, allow_null=True, default=None)
    description = _text(200, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=4, validators=[more_than_zero])
    unit_price = _price(required=False, allow_null=True, default=None)
    tax_rate = _tax_rate(required=False, allow_null=True, default=None)


class InvoiceFields(StrictInputSerializer):
    appointment_id = serializers.UUIDField(required=False, allow_null=True)
    currency = _currency()
    due_date = BoundedDateField(required=False, allow_null=True)
    notes = _text(1000, required=False, allow_blank=True)
    lines = serializers.ListField(child=LineInput(), required=False, max_length=200)


class InvoiceCreateInput(InvoiceFields):
    clinic = serializers.UUIDField()
    patient = serializers.UUIDField()


class InvoiceUpdateInput(InvoiceFields):
    """Every field is optional already; not ``partial``, which would make a line's own fields optional too."""


class InvoiceIssueInput(StrictInputSerializer):
    due_date = BoundedDateField(required=False, allow_null=True)


class InvoiceVoidInput(StrictInputSerializer):
    reason = _text(500)


class PaymentInput(StrictInputSerializer):
    amount = _amount()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = _text(100, required=False, allow_blank=True, default="")
    currency = _currency()


class RefundInput(StrictInputSerializer):
    amount = _amount()
    reason = _text(500)
    currency = _currency()


# --- Outputs -------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class MoneyField(serializers.Field):
    """An amount as a string with exactly its currency's decimal places ("12.30", "1230" in JPY)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        currency = self.context.get("currency") or instance.currency
        return (super().get_attribute(instance), currency)

    def to_representation(self, value: Any) -> str:
        amount, currency = value
        return format_money(amount, currency)


@extend_schema_field(OpenApiTypes.STR)
class PlainDecimalField(serializers.Field):
    """A quantity, price or rate without trailing zeros past ``min_places`` ("0.3333", "19", "80.00")."""

    def __init__(self, min_places: int = 0, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        self.min_places = min_places
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return plain_decimal(value, self.min_places)


class ServiceOutput(serializers.ModelSerializer[CatalogItem]):
    clinic = serializers.UUIDField(source="clinic_id")
    price = PlainDecimalField(min_places=2)
    tax_rate = PlainDecimalField()

    class Meta:
        model = CatalogItem
        fields = ["id", "clinic", "code", "name", "price", "tax_rate", "active", "created_at", "updated_at"]


def _line_json(line: InvoiceLine, currency: str) -> dict[str, Any]:
    return {
        "id": str(line.pk),
        "position": line.position,
        "service": str(line.service_id) if line.service_id is not None else None,
        "description": line.description,
        "quantity": plain_decimal(line.quantity),
        "unit_price": plain_decimal(line.unit_price, 2),
        "tax_rate": plain_decimal(line.tax_rate),
        "net_amount": format_money(line.net_amount, currency),
        "tax_amount": format_money(line.tax_amount, currency),
        "total_amount": format_money(line.total_amount, currency),
    }


class InvoiceLineOutput(serializers.ModelSerializer[InvoiceLine]):
    """Declared for the schema; written by hand (``_line_json``), like InvoiceOutput."""

    service = serializers.UUIDField(source="service_id", allow_null=True)
    quantity = PlainDecimalField()
    unit_price = PlainDecimalField(min_places=2)
    tax_rate = PlainDecimalField()
    net_amount = MoneyField()
    tax_amount = MoneyField()
    total_amount = MoneyField()

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "position",
            "service",
            "description",
            "quantity",
            "unit_price",
            "tax_rate",
            "net_amount",
            "tax_amount",
            "total_amount",
        ]

    def to_representation(self, instance: InvoiceLine) -> dict[str, Any]:
        return _line_json(instance, self.context.get("currency") or instance.invoice.currency)


def _money(name: str) -> OutputField:
    return computed(
        name, lambda row: format_money(row[name], row["currency"]), needs=(name, "currency"), schema=MoneyField()
    )


def _overdue(row: Mapping[str, Any]) -> bool:
    return row["overdue_since"] is not None and row["status"] == InvoiceStatus.ISSUED


# The declared output of an invoice. Rendered from instances (``invoice_queryset`` prefetches the
# lines; ``balance`` is the model's property), so its columns are attributes, not values() columns.
INVOICE_OUTPUT = OutputSpec(
    "InvoiceOutput",
    model=Invoice,
    fields=[
        field("id", as_id),
        field("clinic", as_id, column="clinic_id", schema=serializers.UUIDField()),
        field("patient", as_id, column="patient_id", schema=serializers.UUIDField()),
        field("appointment_id", as_id),
        field("number"),
        field("status"),
        field("currency"),
        field("issue_date", as_date),
        field("due_date", as_date),
        field("notes"),
        computed(
            "lines",
            lambda row: [_line_json(line, row["currency"]) for line in row["lines"].all()],
            needs=("lines", "currency"),
            schema=InvoiceLineOutput(many=True, read_only=True),
        ),
        _money("subtotal"),
        _money("tax_total"),
        _money("total"),
        _money("paid_amount"),
        _money("balance"),
        computed("overdue", _overdue, needs=("overdue_since", "status"), schema=serializers.BooleanField()),
        field("overdue_since", as_date),
        field("issued_at", as_instant),
        field("paid_at", as_instant),
        field("voided_at", as_instant),
        field("void_reason"),
        field("replaces", as_id, column="replaces_id", schema=serializers.UUIDField(allow_null=True)),
        field("created_at", as_instant),
        field("updated_at", as_instant),
    ],
)
InvoiceOutput = INVOICE_OUTPUT.serializer


class RefundOutput(serializers.ModelSerializer[Refund]):
    payment = serializers.UUIDField(source="payment_id")
    amount = MoneyField()
    created_by = serializers.UUIDField(source="created_by_id")

    class Meta:
        model = Refund
        fields = ["id", "payment", "amount", "currency", "reason", "refunded_at", "created_by"]


class PaymentOutput(serializers.ModelSerializer[Payment]):
    clinic = serializers.UUIDField(source="clinic_id")
    invoice = serializers.UUIDField(source="invoice_id")
    amount = MoneyField()
    refunded_amount = MoneyField()
    received_by = serializers.UUIDField(source="received_by_id")
    refunds = RefundOutput(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "clinic",
            "invoice",
            "amount",
            "refunded_amount",
            "currency",
            "method",
            "reference",
            "received_at",
            "received_by",
            "refunds",
        ]


class PaymentReceiptOutput(PaymentOutput):
    """A payment just taken, with where its invoice now stands."""

    invoice_status = serializers.CharField(source="invoice.status")
    invoice_balance = serializers.SerializerMethodField()

    class Meta(PaymentOutput.Meta):
        fields = [*PaymentOutput.Meta.fields, "invoice_status", "invoice_balance"]

    def get_invoice_balance(self, payment: Payment) -> str:
        return format_money(payment.invoice.balance, payment.currency)


class RefundReceiptOutput(RefundOutput):
    """A refund just made, with where its payment and invoice now stand."""

    payment_refunded_amount = serializers.SerializerMethodField()
    invoice = serializers.UUIDField(source="payment.invoice_id")
    invoice_status = serializers.CharField(source="payment.invoice.status")
    invoice_balance = serializers.SerializerMethodField()

    class Meta(RefundOutput.Meta):
        fields = [*RefundOutput.Meta.fields, "payment_refunded_amount", "invoice", "invoice_status", "invoice_balance"]

    def get_payment_refunded_amount(self, refund: Refund) -> str:
        return format_money(refund.payment.refunded_amount, refund.currency)

    def get_invoice_balance(self, refund: Refund) -> str:
        return format_money(refund.payment.invoice.balance, refund.currency)


class CatalogListFilter(ListFilter):
    active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only active (true) or inactive (false) entries."
    )


class InvoiceListFilter(ListFilter):
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
    patient = IdParam(help_text="Only this patient's invoices.")
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only overdue (true) or not overdue (false) invoices."
    )
    ordering = ordering_param(
        "number", "issue_date", help_text="By number or issue date (drafts last); default: newest first."
    )


class PaymentListFilter(ListFilter):
    invoice = IdParam(help_text="Only this invoice's payments.")


class RevenueQuery(serializers.Serializer):
    """``?clinic=&from=&to=`` (``from`` is a Python keyword, so the date fields are added by name)."""

    clinic = serializers.UUIDField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = BoundedDateField(required=False)
        fields["to"] = BoundedDateField(required=False)
        return fields


class AgingQuery(serializers.Serializer):
    clinic = serializers.UUIDField()
