"""Revenue and aging reports, answered by SQL aggregates (GROUP BY, SUM, CASE), never by looping over rows.

Days are the clinic's local days: invoices carry local issue dates, and
payment and refund times are truncated to dates in the clinic's time zone.
Amounts come back as strings with the currency's decimal places.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate

from apps.billing.models import CreditNote, Invoice, InvoiceLine, InvoiceStatus, Payment, Refund
from apps.billing.money import format_money, plain_decimal
from apps.clinics.models import Clinic

MAX_REPORT_DAYS = 366
AGING_BUCKETS = ("0-30", "31-60", "61-90", "90+")
DAY_FIGURES = ("issued", "paid", "refunded", "credited", "outstanding")
ISSUED_STATES = (InvoiceStatus.ISSUED, InvoiceStatus.PAID)
_MONEY = DecimalField(max_digits=20, decimal_places=4)
_ZERO = Value(Decimal("0"), output_field=_MONEY)


def _sum(expression: Any, **kwargs: Any) -> Coalesce:
    return Coalesce(Sum(expression, output_field=_MONEY, **kwargs), _ZERO, output_field=_MONEY)


# What is owed: the total less credit notes less payments (net of refunds).
_BALANCE = F("total") - F("credited_amount") - F("paid_amount")


@dataclass(frozen=True)
class Period:
    """An inclusive range of the clinic's local dates and the UTC instants that bound it."""

    first: date
    last: date
    start: datetime
    end: datetime  # exclusive

    @classmethod
    def of(cls, clinic: Clinic, first: date, last: date) -> "Period":
        zone = ZoneInfo(clinic.time_zone)
        start = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        return cls(first=first, last=last, start=start, end=end)


def _issued_invoices(clinic: Clinic, period: Period) -> QuerySet[Invoice]:
    # Issued in the period and still standing: void invoices are not revenue.
    return Invoice.objects.filter(
        clinic_id=clinic.pk,
        issue_date__gte=period.first,
        issue_date__lte=period.last,
        status__in=ISSUED_STATES,
    )


def _payments(clinic: Clinic, period: Period) -> QuerySet[Payment]:
    return Payment.objects.filter(clinic_id=clinic.pk, received_at__gte=period.start, received_at__lt=period.end)


def _refunds(clinic: Clinic, period: Period) -> QuerySet[Refund]:
    return Refund.objects.filter(clinic_id=clinic.pk, refunded_at__gte=period.start, refunded_at__lt=period.end)


def revenue_report(*, clinic: Clinic, first: date, last: date) -> dict[str, Any]:
    """Issued, paid, refunded and outstanding money of a period: totals, by day and by service.

    * issued: totals of the invoices issued in the period (void ones excluded);
    * paid / refunded: payments received and refunds made in the period;
    * credited: credit notes issued in the period (by their own issue date);
    * outstanding: what is still owed today on the invoices issued in the period
      (total less credit notes less payments net of refunds);
    * by service: lines of those invoices per catalog service (free-text lines together).
    """
    period = Period.of(clinic, first, last)
    zone = ZoneInfo(clinic.time_zone)
    currency = clinic.currency
    invoices = _issued_invoices(clinic, period)
    payments = _payments(clinic, period)
    refunds = _refunds(clinic, period)

    totals = invoices.aggregate(
        issued=_sum("total"), outstanding=_sum(_BALANCE), invoices=Count("id"), tax=_sum("tax_total")
    )
    totals.update(payments.aggregate(paid=_sum("amount"), payments=Count("id")))
    totals.update(refunds.aggregate(refunded=_sum("amount"), refunds=Count("id")))
    # Credit notes by their own (local) issue date: a correction counts when it is made.
    credits = CreditNote.objects.filter(clinic_id=clinic.pk, issue_date__gte=period.first, issue_date__lte=period.last)
    totals.update(credits.aggregate(credited=_sum("total"), credit_notes=Count("id")))

    days: dict[date, dict[str, Any]] = {}

    def day(on: date) -> dict[str, Any]:
        return days.setdefault(on, dict.fromkeys(DAY_FIGURES, Decimal("0")))

    for issued in invoices.values("issue_date").annotate(issued=_sum("total"), outstanding=_sum(_BALANCE)):
        assert issued["issue_date"] is not None  # issued invoices have an issue date
        day(issued["issue_date"]).update(issued=issued["issued"], outstanding=issued["outstanding"])
    paid_by_day = payments.annotate(on=TruncDate("received_at", tzinfo=zone)).values("on")
    for paid in paid_by_day.annotate(paid=_sum("amount")):
        day(paid["on"])["paid"] = paid["paid"]
    refunded_by_day = refunds.annotate(on=TruncDate("refunded_at", tzinfo=zone)).values("on")
    for refunded in refunded_by_day.annotate(refunded=_sum("amount")):
        day(refunded["on"])["refunded"] = refunded["refunded"]
    for credited in credits.values("issue_date").annotate(credited=_sum("total")):
        day(credited["issue_date"])["credited"] = credited["credited"]

    # One join on the invoice's own filters (an ``invoice__in`` subquery made PostgreSQL scan every invoice).
    by_service = (
        InvoiceLine.objects.filter(
            invoice__clinic_id=clinic.pk,
            invoice__issue_date__gte=period.first,
            invoice__issue_date__lte=period.last,
            invoice__status__in=ISSUED_STATES,
        )
        .values("service_id", "service__code", "service__name")
        .annotate(
            quantity=Coalesce(Sum("quantity"), Value(Decimal("0")), output_field=_MONEY),
            net=_sum("net_amount"),
            tax=_sum("tax_amount"),
            total=_sum(F("net_amount") + F("tax_amount")),
            lines=Count("id"),
        )
        .order_by(F("service__code").asc(nulls_last=True))
    )

    def money(value: Decimal) -> str:
        return format_money(value, currency)

    return {
        "clinic": str(clinic.pk),
        "currency": currency,
        "from": period.first,
        "to": period.last,
        "totals": {
            "issued": money(totals["issued"]),
            "tax": money(totals["tax"]),
            "paid": money(totals["paid"]),
            "refunded": money(totals["refunded"]),
            "net_received": money(totals["paid"] - totals["refunded"]),
            "credited": money(totals["credited"]),
            "credit_notes": totals["credit_notes"],
            "outstanding": money(totals["outstanding"]),
            "invoices": totals["invoices"],
            "payments": totals["payments"],
            "refunds": totals["refunds"],
        },
        "by_day": [
            {"date": on, **{name: money(value) for name, value in figures.items()}}
            for on, figures in sorted(days.items())
        ],
        "by_service": [
            {
                "service": str(row["service_id"]) if row["service_id"] else None,
                "code": row["service__code"],
                "name": row["service__name"] or "Other (free text)",
                "quantity": plain_decimal(row["quantity"]),
                "lines": row["lines"],
                "net": money(row["net"]),
                "tax": money(row["tax"]),
                "total": money(row["total"]),
            }
            for row in by_service
        ],
    }


def aging_report(*, clinic: Clinic, as_of: date) -> dict[str, Any]:
    """What is owed on issued invoices, by days since issue: 0-30, 31-60, 61-90, 90+.

    Each bucket also says how much of it is past its due date. One grouped query.
    """
    bucket = Case(
        When(issue_date__gte=as_of - timedelta(days=30), then=Value("0-30")),
        When(issue_date__gte=as_of - timedelta(days=60), then=Value("31-60")),
        When(issue_date__gte=as_of - timedelta(days=90), then=Value("61-90")),
        default=Value("90+"),
    )
    rows = (
        Invoice.objects.filter(clinic_id=clinic.pk, status=InvoiceStatus.ISSUED, issue_date__lte=as_of)
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(
            outstanding=_sum(_BALANCE), overdue=_sum(_BALANCE, filter=Q(due_date__lt=as_of)), invoices=Count("id")
        )
        .order_by()
    )
    found: dict[str, dict[str, Any]] = {row["bucket"]: dict(row) for row in rows}
    empty: dict[str, Any] = {"outstanding": Decimal("0"), "overdue": Decimal("0"), "invoices": 0}
    buckets = []
    for name in AGING_BUCKETS:
        row = found.get(name, empty)
        buckets.append(
            {
                "bucket": name,
                "outstanding": format_money(row["outstanding"], clinic.currency),
                "overdue": format_money(row["overdue"], clinic.currency),
                "invoices": row["invoices"],
            }
        )
    outstanding = sum((row["outstanding"] for row in found.values()), Decimal("0"))
    overdue = sum((row["overdue"] for row in found.values()), Decimal("0"))
    return {
        "clinic": str(clinic.pk),
        "currency": clinic.currency,
        "as_of": as_of,
        "buckets": buckets,
        "total": {
            "outstanding": format_money(outstanding, clinic.currency),
            "overdue": format_money(overdue, clinic.currency),
            "invoices": sum(row["invoices"] for row in found.values()),
        },
    }
