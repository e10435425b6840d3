"""Invoices in the admin: money at the currency's decimals, void through the service."""

from decimal import Decimal

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.core.admin import money

pytestmark = pytest.mark.django_db


def test_money_is_shown_at_the_currencys_decimals():
    assert money(Decimal("103.8000"), "EUR") == "103.80 EUR"
    assert money(Decimal("1500.0000"), "JPY") == "1500 JPY"
    assert money(Decimal("1.2340"), "KWD") == "1.234 KWD"


def test_the_invoice_changelist_opens_and_shows_two_decimals(clinic):
    from apps.billing.tests.factories import issued_invoice

    invoice = issued_invoice(clinic)
    root = User.objects.create_superuser("root@example.test", "a-long-enough-passphrase-9")
    client = Client()
    client.force_login(root)
    page = client.get("/admin/billing/invoice/").content.decode()
    assert money(invoice.total, invoice.currency) in page
    action = {"action": "void_invoices", "_selected_action": [str(invoice.pk)]}
    response = client.post("/admin/billing/invoice/", action)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "void"
