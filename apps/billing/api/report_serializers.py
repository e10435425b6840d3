"""The shapes of the revenue and aging reports (apps.billing.reports), for the schema.

The reports build their dictionaries in SQL-backed code; these declarations
are what integrators read, and the contract test holds the two together.
Amounts are strings with the currency's decimal places.
"""

from rest_framework import serializers


def _money(help_text: str) -> serializers.CharField:
    return serializers.CharField(help_text=f"{help_text} (a decimal string in the clinic's currency)")


class RevenueTotalsOutput(serializers.Serializer):
    issued = _money("Totals of the invoices issued in the period, void ones excluded")
    tax = _money("Tax included in those totals")
    paid = _money("Payments received in the period")
    refunded = _money("Refunds made in the period")
    net_received = _money("Paid less refunded")
    credited = _money("Credit notes issued in the period (they lower what is owed)")
    credit_notes = serializers.IntegerField()
    outstanding = _money("Still owed today on the invoices issued in the period")
    invoices = serializers.IntegerField()
    payments = serializers.IntegerField()
    refunds = serializers.IntegerField()


class RevenueDayOutput(serializers.Serializer):
    date = serializers.DateField(help_text="A local day of the clinic")
    issued = _money("Issued that day")
    paid = _money("Received that day")
    refunded = _money("Refunded that day")
    credited = _money("Credited that day (credit notes)")
    outstanding = _money("Still owed on the invoices issued that day")


class RevenueServiceOutput(serializers.Serializer):
    service = serializers.UUIDField(allow_null=True, help_text="null for free-text lines, grouped together")
    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    quantity = serializers.CharField(help_text="A decimal string")
    lines = serializers.IntegerField()
    net = _money("Before tax")
    tax = _money("Tax")
    total = _money("Net plus tax")


class RevenueReportOutput(serializers.Serializer):
    clinic = serializers.UUIDField()
    currency = serializers.CharField(help_text="ISO 4217")
    # "from" is a Python keyword: declared through the field map below.
    to = serializers.DateField(help_text="Last local day, inclusive")
    totals = RevenueTotalsOutput()
    by_day = RevenueDayOutput(many=True, help_text="Days with any figure, in order")
    by_service = RevenueServiceOutput(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        first_day = serializers.DateField(help_text="First local day")
        return {"clinic": fields.pop("clinic"), "currency": fields.pop("currency"), "from": first_day, **fields}


class AgingBucketOutput(serializers.Serializer):
    bucket = serializers.ChoiceField(choices=["0-30", "31-60", "61-90", "90+"], help_text="Days since issue")
    outstanding = _money("Owed on the bucket's invoices")
    overdue = _money("Of which past its due date")
    invoices = serializers.IntegerField()


class AgingTotalOutput(serializers.Serializer):
    outstanding = _money("Owed on all issued invoices")
    overdue = _money("Of which past its due date")
    invoices = serializers.IntegerField()


class AgingReportOutput(serializers.Serializer):
    clinic = serializers.UUIDField()
    currency = serializers.CharField(help_text="ISO 4217")
    as_of = serializers.DateField(help_text="Today in the clinic's time zone")
    buckets = AgingBucketOutput(many=True, help_text="Always the four buckets, in order")
    total = AgingTotalOutput()
