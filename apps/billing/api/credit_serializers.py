"""Input and output shapes of credit notes."""

from typing import Any

from rest_framework import serializers

from apps.billing.credit_models import CreditNote, CreditNoteKind, CreditNoteLine
from apps.billing.money import format_money, plain_decimal
from apps.core.filters import IdParam, ListFilter
from apps.core.serializers import StrictInputSerializer, no_control_characters


def _positive(value: Any) -> None:
    if value <= 0:
        raise serializers.ValidationError("Must be more than zero.")


class CreditLineInput(StrictInputSerializer):
    line = serializers.UUIDField(help_text="An id of one of the invoice's lines")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=4, validators=[_positive])


class CreditNoteCreateInput(StrictInputSerializer):
    """``kind``: ``full`` (all that remains), ``lines`` (quantities of lines) or ``amount`` (a gross amount)."""

    invoice = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=CreditNoteKind.choices)
    reason = serializers.CharField(max_length=500, validators=[no_control_characters])
    lines = serializers.ListField(child=CreditLineInput(), required=False, max_length=200)
    amount = serializers.DecimalField(max_digits=14, decimal_places=4, required=False, validators=[_positive])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs["kind"]
        if kind == CreditNoteKind.LINES and not attrs.get("lines"):
            raise serializers.ValidationError({"lines": ["Required for a credit by lines."]})
        if kind == CreditNoteKind.AMOUNT and attrs.get("amount") is None:
            raise serializers.ValidationError({"amount": ["Required for a credit by amount."]})
        if kind != CreditNoteKind.LINES and attrs.get("lines"):
            raise serializers.ValidationError({"lines": [f"Not used by a {kind} credit."]})
        if kind != CreditNoteKind.AMOUNT and attrs.get("amount") is not None:
            raise serializers.ValidationError({"amount": [f"Not used by a {kind} credit."]})
        return attrs


class CreditNoteLineOutput(serializers.ModelSerializer[CreditNoteLine]):
    line = serializers.UUIDField(source="invoice_line_id")
    quantity = serializers.SerializerMethodField()
    net_amount = serializers.SerializerMethodField()
    tax_amount = serializers.SerializerMethodField()

    class Meta:
        model = CreditNoteLine
        fields = ["line", "quantity", "net_amount", "tax_amount"]

    def get_quantity(self, row: CreditNoteLine) -> str:
        return plain_decimal(row.quantity)

    def get_net_amount(self, row: CreditNoteLine) -> str:
        return format_money(row.net_amount, row.credit_note.currency)

    def get_tax_amount(self, row: CreditNoteLine) -> str:
        return format_money(row.tax_amount, row.credit_note.currency)


class CreditNoteOutput(serializers.ModelSerializer[CreditNote]):
    clinic = serializers.UUIDField(source="clinic_id")
    invoice = serializers.UUIDField(source="invoice_id")
    invoice_number = serializers.CharField(source="invoice.number")
    kind = serializers.ChoiceField(choices=CreditNoteKind.choices)
    lines = CreditNoteLineOutput(many=True, read_only=True)
    net_amount = serializers.SerializerMethodField()
    tax_amount = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()
    refunded_amount = serializers.SerializerMethodField()
    invoice_balance = serializers.SerializerMethodField()
    issued_by = serializers.UUIDField(source="issued_by_id")

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "clinic",
            "invoice",
            "invoice_number",
            "number",
            "kind",
            "currency",
            "issue_date",
            "reason",
            "lines",
            "net_amount",
            "tax_amount",
            "total",
            "refunded_amount",
            "invoice_balance",
            "issued_at",
            "issued_by",
        ]

    def get_net_amount(self, note: CreditNote) -> str:
        return format_money(note.net_amount, note.currency)

    def get_tax_amount(self, note: CreditNote) -> str:
        return format_money(note.tax_amount, note.currency)

    def get_total(self, note: CreditNote) -> str:
        return format_money(note.total, note.currency)

    def get_refunded_amount(self, note: CreditNote) -> str:
        return format_money(note.refunded_amount, note.currency)

    def get_invoice_balance(self, note: CreditNote) -> str:
        return format_money(note.invoice.balance, note.currency)


class CreditNoteListFilter(ListFilter):
    invoice = IdParam(help_text="Only this invoice's credit notes.")
