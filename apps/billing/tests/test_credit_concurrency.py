"""Credit notes under concurrency (PostgreSQL): gapless numbers, and never more than the invoice between them."""

from decimal import Decimal

import pytest

from apps.billing.credit_notes import credit_note_issue
from apps.billing.models import CreditNote
from apps.billing.services import clinic_today
from apps.billing.tests.factories import issued_invoice
from apps.billing.tests.test_concurrency import run_together
from apps.core.errors import ApplicationError
from apps.core.roles import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_credit_notes_get_twenty_consecutive_numbers(clinic):
    invoices = [issued_invoice(clinic) for _ in range(20)]
    biller = clinic.staff[Role.BILLING]

    def issue(i):
        return credit_note_issue(actor=biller, invoice=invoices[i], reason="Correction", kind="full").number

    numbers = run_together(issue, 20)
    year = clinic_today(clinic).year
    assert sorted(numbers) == [f"CN-{year}-{n:06d}" for n in range(1, 21)]


def test_concurrent_credits_of_one_invoice_never_exceed_it(clinic):
    invoice = issued_invoice(clinic)  # 100.00
    biller = clinic.staff[Role.BILLING]

    def credit(_):
        try:
            credit_note_issue(actor=biller, invoice=invoice, reason="Discount", kind="amount", amount=Decimal("30"))
            return "ok"
        except ApplicationError as exc:
            return exc.code

    results = run_together(credit, 5)
    assert sorted(results).count("ok") == 3  # 3 x 30 fit in 100, a fourth does not
    invoice.refresh_from_db()
    assert invoice.credited_amount == Decimal("90") == sum(n.total for n in CreditNote.objects.all())
