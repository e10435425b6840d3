"""Amounts and dates as the clinic's readers expect them, through Babel (CLDR data).

``103,80 €`` for de-DE, ``$103.80`` for en-US, ``02.03.2026`` / ``Mar 2, 2026``.
A clinic without a locale keeps the neutral form: ``103.80 EUR`` and ISO dates.
Babel is imported lazily (with the PDF code): the web process does not load
CLDR data for a rare request.
"""

from datetime import date
from decimal import Decimal

from apps.billing.money import format_money


class ClinicFormat:
    """Formats money and dates for one clinic's ``locale`` (BCP 47, e.g. ``de-DE``)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale.replace("-", "_") if locale else ""
        if self.locale:
            from babel import Locale, UnknownLocaleError

            try:
                Locale.parse(self.locale).currency_formats  # noqa: B018  (loads the locale's data, or fails)
            except (UnknownLocaleError, ValueError, OSError):
                # Not one of apps/clinics/locales.py (the image keeps only their CLDR data): neutral formats.
                self.locale = ""

    def money(self, amount: Decimal, currency: str) -> str:
        """The amount with its currency, in the currency's decimal places."""
        if not self.locale:
            return f"{format_money(amount, currency)} {currency}"
        from babel.numbers import format_currency

        # Babel's NBSP between number and sign would not survive every PDF reader's copy and paste.
        return format_currency(Decimal(format_money(amount, currency)), currency, locale=self.locale).replace(
            "\xa0", " "
        )

    def day(self, value: date | None, missing: str = "-") -> str:
        if value is None:
            return missing
        if not self.locale:
            return value.isoformat()
        from babel.dates import format_date

        return format_date(value, format="medium", locale=self.locale)
