"""Revenue and aging reports: figures against hand-computed totals, clinic-local days, roles, constant query counts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.billing.models import Invoice, Payment, Refund
from apps.billing.payments import payment_record, refund_record
from apps.billing.reports import aging_report
from apps.billing.services import LineInput, clinic_today, invoice_void
from apps.billing.tests.factories import CatalogItemFactory, draft_invoice, issued_invoice
from apps.core.roles import Role

pytestmark = pytest.mark.django_db
REVENUE = reverse("report-revenue")
AGING = reverse("report-aging")
D = Decimal


def at(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def dated(invoice, issue_date, due_days=14):
    Invoice.objects.filter(pk=invoice.pk).update(issue_date=issue_date, due_date=issue_date + timedelta(days=due_days))
    invoice.refresh_from_db()
    return invoice


def pay(clinic, invoice, amount, when):
    payment = payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=D(amount), method="card")
    Payment.objects.filter(pk=payment.pk).update(received_at=when)
    return payment


def march_of(clinic):
    """The data set of the hand-computed figures below (clinic in Europe/Berlin, EUR)."""
    cons = CatalogItemFactory(clinic=clinic, code="CONS", name="Consultation", price=D("80.00"), tax_rate=D("0"))
    cert = CatalogItemFactory(clinic=clinic, code="CERT", name="Certificate", price=D("20.00"), tax_rate=D("19"))

    def service_lines(*pairs):
        return [LineInput(service_id=service.pk, quantity=D(quantity)) for service, quantity in pairs]

    # A: 80.00 + 20.00 + 19 % (3.80) = 103.80, paid on 2 March, 10.00 refunded on 6 March
    a = dated(issued_invoice(clinic, lines=service_lines((cons, "1"), (cert, "1"))), date(2026, 3, 2))
    a_payment = pay(clinic, a, "103.80", at(2026, 3, 2, 9))
    refund = refund_record(actor=clinic.staff[Role.BILLING], payment=a_payment, amount=D("10.00"), reason="x")
    Refund.objects.filter(pk=refund.pk).update(refunded_at=at(2026, 3, 6, 8))
    # B: 2 x 80.00 = 160.00; 60.00 paid at 00:30 on 4 March in Berlin (23:30 UTC on the 3rd)
    b = dated(issued_invoice(clinic, lines=service_lines((cons, "2"))), date(2026, 3, 2))
    pay(clinic, b, "60.00", at(2026, 3, 3, 23, 30))
    # C: free text, 3 x 4.99 = 14.97 + 7 % (1.0479 -> 1.05) = 16.02, unpaid
    dressing = LineInput(description="Dressing", quantity=D("3"), unit_price=D("4.99"), tax_rate=D("7"))
    dated(issued_invoice(clinic, lines=[dressing]), date(2026, 3, 5))
    # D: issued then void: not revenue
    d = dated(issued_invoice(clinic, lines=service_lines((cert, "1"))), date(2026, 3, 5))
    invoice_void(actor=clinic.staff[Role.BILLING], invoice=d, reason="wrong patient")
    # E: issued in February (outside), paid 80.00 on 2 March (inside)
    e = dated(issued_invoice(clinic, lines=service_lines((cons, "1"))), date(2026, 2, 27))
    pay(clinic, e, "80.00", at(2026, 3, 2, 15))
    # F: a draft; G: a payment in April: neither counts
    draft_invoice(clinic, lines=service_lines((cons, "5")))
    g = dated(issued_invoice(clinic, lines=service_lines((cons, "1"))), date(2026, 4, 1))
    pay(clinic, g, "80.00", at(2026, 4, 1))


def test_revenue_figures_match_the_hand_computed_totals(as_user, clinic, other_clinic):
    march_of(clinic)
    march_of(other_clinic)  # another clinic's money never leaks in
    response = as_user(clinic.staff[Role.BILLING]).get(
        REVENUE, {"clinic": str(clinic.pk), "from": "2026-03-01", "to": "2026-03-31"}
    )
    assert response.status_code == 200, response.data
    report = response.json()
    assert (report["currency"], report["from"], report["to"]) == ("EUR", "2026-03-01", "2026-03-31")
    assert report["totals"] == {
        "issued": "279.82",  # 103.80 + 160.00 + 16.02
        "tax": "4.85",  # 3.80 + 1.05
        "paid": "243.80",  # 103.80 + 60.00 + 80.00
        "refunded": "10.00",
        "net_received": "233.80",
        "credited": "0.00",
        "credit_notes": 0,
        "outstanding": "126.02",  # A 10.00 + B 100.00 + C 16.02
        "invoices": 3,
        "payments": 3,
        "refunds": 1,
    }
    assert [{k: v for k, v in day.items() if k != "credited"} for day in report["by_day"]] == [
        {"date": "2026-03-02", "issued": "263.80", "paid": "183.80", "refunded": "0.00", "outstanding": "110.00"},
        {"date": "2026-03-04", "issued": "0.00", "paid": "60.00", "refunded": "0.00", "outstanding": "0.00"},
        {"date": "2026-03-05", "issued": "16.02", "paid": "0.00", "refunded": "0.00", "outstanding": "16.02"},
        {"date": "2026-03-06", "issued": "0.00", "paid": "0.00", "refunded": "10.00", "outstanding": "0.00"},
    ]
    assert {day["credited"] for day in report["by_day"]} == {"0.00"}
    assert [(s["code"], s["quantity"], s["lines"], s["net"], s["tax"], s["total"]) for s in report["by_service"]] == [
        ("CERT", "1", 1, "20.00", "3.80", "23.80"),
        ("CONS", "3", 2, "240.00", "0.00", "240.00"),
        (None, "3", 1, "14.97", "1.05", "16.02"),
    ]


def test_revenue_defaults_to_this_month_and_validates_its_range(as_user, clinic):
    client = as_user(clinic.staff[Role.OWNER])
    today = clinic_today(clinic)
    report = client.get(REVENUE, {"clinic": str(clinic.pk)}).json()
    assert (report["from"], report["to"]) == (today.replace(day=1).isoformat(), today.isoformat())
    assert report["totals"]["issued"] == "0.00"
    for params, field in (
        ({}, "clinic"),
        ({"clinic": "nope"}, "clinic"),
        ({"clinic": str(clinic.pk), "from": "2026-02-30"}, "from"),
        ({"clinic": str(clinic.pk), "from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ({"clinic": str(clinic.pk), "from": "2025-01-01", "to": "2026-03-01"}, "to"),
    ):
        response = client.get(REVENUE, params)
        assert response.status_code == 400, params
        assert field in response.data["fields"], params


def test_the_reports_query_count_does_not_grow_with_the_rows(clinic, as_user):
    client = as_user(clinic.staff[Role.OWNER])

    def queries(url, params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    params = {"clinic": str(clinic.pk), "from": "2026-01-01", "to": "2026-12-31"}
    march_of(clinic)
    few = (queries(REVENUE, params), queries(AGING, {"clinic": str(clinic.pk)}))
    for day in range(1, 25):
        invoice = dated(issued_invoice(clinic), date(2026, 5, day))
        pay(clinic, invoice, "10.00", at(2026, 5, day))
    many = (queries(REVENUE, params), queries(AGING, {"clinic": str(clinic.pk)}))
    assert few == many


def test_aging_buckets_by_days_since_issue_against_hand_computed_totals(as_user, clinic):
    today = clinic_today(clinic)

    def owed(days_ago, total, paid="0"):
        invoice = issued_invoice(clinic, lines=[LineInput(description="x", quantity=D("1"), unit_price=D(total))])
        invoice = dated(invoice, today - timedelta(days=days_ago))
        if D(paid):
            payment_record(actor=clinic.staff[Role.BILLING], invoice=invoice, amount=D(paid), method="cash")
        return invoice

    owed(10, "50.00")  # 0-30, due in 4 days
    owed(30, "100.00")  # 0-30 (the boundary), 16 days overdue
    owed(31, "100.00", paid="40.00")  # 31-60: 60.00 left, overdue
    owed(90, "200.00")  # 61-90
    owed(91, "30.00")  # 90+
    owed(200, "70.00", paid="70.00")  # paid: owes nothing
    invoice_void(actor=clinic.staff[Role.BILLING], invoice=owed(45, "999.00"), reason="x")
    draft_invoice(clinic)

    response = as_user(clinic.staff[Role.BILLING]).get(AGING, {"clinic": str(clinic.pk)})
    assert response.status_code == 200
    report = response.json()
    assert report["as_of"] == today.isoformat()
    assert report["buckets"] == [
        {"bucket": "0-30", "outstanding": "150.00", "overdue": "100.00", "invoices": 2},
        {"bucket": "31-60", "outstanding": "60.00", "overdue": "60.00", "invoices": 1},
        {"bucket": "61-90", "outstanding": "200.00", "overdue": "200.00", "invoices": 1},
        {"bucket": "90+", "outstanding": "30.00", "overdue": "30.00", "invoices": 1},
    ]
    assert report["total"] == {"outstanding": "440.00", "overdue": "390.00", "invoices": 5}


def test_aging_of_an_empty_clinic_is_all_zero(clinic):
    report = aging_report(clinic=clinic, as_of=date(2026, 6, 1))
    assert {b["outstanding"] for b in report["buckets"]} == {"0.00"}
    assert report["total"]["invoices"] == 0


def test_a_report_needs_its_clinic(as_user, clinic):
    """Roles, other clinics and anonymous callers: tests/test_personas.py."""
    client = as_user(clinic.staff[Role.OWNER])
    assert client.get(AGING, {}).status_code == 400
    assert client.get(REVENUE, {}).status_code == 400
