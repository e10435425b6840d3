"""Ten concurrent completes of one visit (PostgreSQL): exactly one draft, nine 409s."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from apps.billing.models import Invoice
from apps.billing.tests.factories import CatalogItemFactory
from apps.core.errors import ConflictError
from apps.visits.capture import visit_complete
from apps.visits.services import visit_sign
from apps.visits.tests.factories import open_visit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_concurrent_completes_draft_exactly_one_invoice(clinic):
    visit = open_visit(clinic, services=[(CatalogItemFactory(clinic=clinic), Decimal("1"))])
    visit = visit_sign(actor=visit.practitioner, visit=visit)
    barrier = threading.Barrier(10)

    def complete(_):
        try:
            barrier.wait(timeout=10)
            return str(visit_complete(actor=visit.practitioner, visit=visit).invoice_id)
        except ConflictError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(complete, range(10)))
    invoices = list(Invoice.objects.filter(appointment_id=visit.appointment_id))
    assert len(invoices) == 1
    assert sorted(results) == sorted([str(invoices[0].pk)] + ["visit_completed"] * 9)
