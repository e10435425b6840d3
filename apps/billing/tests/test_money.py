"""Rounding: Decimal only, half-up to the currency's minor unit, per line; totals are the lines' sums."""

from decimal import Decimal

import pytest

from apps.billing.models import InvoiceLine
from apps.billing.money import format_money, line_amounts, plain_decimal, round_money
from apps.billing.services import LineInput
from apps.billing.tests.factories import draft_invoice

D = Decimal


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (D("0.125"), "EUR", D("0.13")),  # half-up, not banker's (which gives 0.12)
        (D("0.135"), "EUR", D("0.14")),
        (D("0.124999"), "EUR", D("0.12")),
        (D("2.5"), "JPY", D("3")),  # no minor unit
        (D("3.5"), "JPY", D("4")),
        (D("1.0005"), "KWD", D("1.001")),  # three decimal places
        (D("-0.125"), "EUR", D("-0.13")),  # half away from zero
    ],
)
def test_round_money_is_half_up_to_the_minor_unit(value, currency, expected):
    assert round_money(value, currency) == expected
    assert isinstance(round_money(value, currency), Decimal)


def test_format_money_shows_exactly_the_currencys_places():
    assert format_money(D("12.3"), "EUR") == "12.30"
    assert format_money(D("1230.0000"), "JPY") == "1230"
    assert format_money(D("1.5"), "BHD") == "1.500"


def test_plain_decimal_never_uses_exponent_notation():
    assert plain_decimal(D("10.0000")) == "10"
    assert plain_decimal(D("0.3333")) == "0.3333"
    assert plain_decimal(D("80.0000"), 2) == "80.00"
    assert plain_decimal(D("4.9900"), 2) == "4.99"


@pytest.mark.parametrize(
    ("quantity", "unit_price", "tax_rate", "currency", "net", "tax"),
    [
        # a third of an hour at 90.00: 29.99970 -> 30.00; 19 % of it 5.70
        ("0.3333", "90.00", "19", "EUR", "30.00", "5.70"),
        # a third of 10.00 is 3.333 -> 3.33; 7 % -> 0.2331 -> 0.23
        ("0.3333", "10.00", "7", "EUR", "3.33", "0.23"),
        # 0.5 x 0.25 = 0.125 -> 0.13 (half-up); 10 % of 0.13 = 0.013 -> 0.01
        ("0.5", "0.25", "10", "EUR", "0.13", "0.01"),
        # 7.7 % (Swiss VAT) of 45.00 = 3.465 -> 3.47
        ("1", "45.00", "7.7", "CHF", "45.00", "3.47"),
        # yen: 3 x 333.3333 = 999.9999 -> 1000; 8 % -> 80
        ("3", "333.3333", "8", "JPY", "1000", "80"),
        # three decimals: 1/3 x 1.000 = 0.3333 -> 0.333; 5 % -> 0.01665 -> 0.017
        ("0.3333", "1.000", "5", "KWD", "0.333", "0.017"),
    ],
)
def test_line_amounts(quantity, unit_price, tax_rate, currency, net, tax):
    got = line_amounts(quantity=D(quantity), unit_price=D(unit_price), tax_rate=D(tax_rate), currency=currency)
    assert got == (D(net), D(tax))


@pytest.mark.django_db
def test_invoice_totals_are_the_sums_of_rounded_lines_at_several_tax_rates(clinic):
    lines = [
        LineInput(description="a third", quantity=D("0.3333"), unit_price=D("10.00"), tax_rate=D("19")),
        LineInput(description="a third", quantity=D("0.3333"), unit_price=D("10.00"), tax_rate=D("19")),
        LineInput(description="a third", quantity=D("0.3333"), unit_price=D("10.00"), tax_rate=D("19")),
        LineInput(description="reduced", quantity=D("3"), unit_price=D("4.99"), tax_rate=D("7")),
        LineInput(description="exempt", quantity=D("1"), unit_price=D("80"), tax_rate=D("0")),
    ]
    invoice = draft_invoice(clinic, lines=lines)
    # Per line: 3.33 + 0.63 (19 % of 3.33 = 0.6327) three times; 14.97 + 1.05 (1.0479); 80.00 + 0.
    assert invoice.subtotal == D("3.33") * 3 + D("14.97") + D("80.00") == D("104.96")
    assert invoice.tax_total == D("0.63") * 3 + D("1.05") == D("2.94")
    assert invoice.total == D("107.90")
    stored = InvoiceLine.objects.filter(invoice=invoice).order_by("position")
    assert [line.net_amount for line in stored] == [D("3.33"), D("3.33"), D("3.33"), D("14.97"), D("80.00")]
    assert [line.tax_amount for line in stored] == [D("0.63"), D("0.63"), D("0.63"), D("1.05"), D("0")]
    invoice.refresh_from_db()
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("104.96"), D("2.94"), D("107.90"))


@pytest.mark.django_db
def test_a_yen_clinic_rounds_to_whole_yen(clinic):
    clinic.currency = "JPY"
    clinic.save()
    lines = [LineInput(description="x", quantity=D("0.3333"), unit_price=D("1000"), tax_rate=D("10"))]
    invoice = draft_invoice(clinic, lines=lines)
    # 333.3 -> 333; 10 % = 33.3 -> 33
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("333"), D("33"), D("366"))
