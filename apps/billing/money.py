"""Money arithmetic: Decimal only, rounded half-up to the currency's minor unit.

Amounts are never floats. Prices and quantities may carry up to four decimal
places; every amount that is charged, paid or reported is rounded here, once,
with an explicit rule.
"""

from decimal import ROUND_HALF_UP, Decimal

from apps.core.currencies import MINOR_UNITS

# Precision of the inputs that multiply into amounts (unit prices, quantities, tax rates in percent).
INPUT_PLACES = 4
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def minor_units(currency: str) -> int:
    """Decimal places of ``currency`` (ISO 4217); KeyError for an unknown code."""
    return MINOR_UNITS[currency]


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_money(value: Decimal, currency: str) -> Decimal:
    """``value`` rounded half-up (0.125 -> 0.13) to the currency's minor unit."""
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def format_money(value: Decimal, currency: str) -> str:
    """The amount as the API and the PDF show it: exactly the currency's decimal places."""
    return str(round_money(value, currency))


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def plain_decimal(value: Decimal, min_places: int = 0) -> str:
    """Fixed-point text without trailing zeros past ``min_places`` ("0.3333", "19", "80.00"); never "1E+1"."""
    places = max(min_places, decimal_places(value))
    return f"{value:.{places}f}"


def line_amounts(
    *, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str
) -> tuple[Decimal, Decimal]:
    """(net, tax) of one invoice line, each rounded half-up to the minor unit.

    Tax is computed per line on the rounded net, so the lines add up exactly
    to the invoice's totals and to the per-rate tax breakdown.
    """
    net = round_money(quantity * unit_price, currency)
    tax = round_money(net * tax_rate / HUNDRED, currency)
    return net, tax
