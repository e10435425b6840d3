"""The service catalog: codes unique per clinic, bad prices refused, invoices unaffected.

Who may change it, anonymous callers and other clinics: tests/test_personas.py.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.billing.models import CatalogItem
from apps.billing.services import LineInput
from apps.billing.tests.factories import CatalogItemFactory, draft_invoice
from apps.core.roles import Role

pytestmark = pytest.mark.django_db
LIST = reverse("service-list")


def detail(service):
    return reverse("service-detail", args=[service.pk])


def payload(clinic, **overrides):
    body = {"clinic": str(clinic.pk), "code": "CONS", "name": "Consultation", "price": "80.00", "tax_rate": "0"}
    body.update(overrides)
    return body


def test_building_the_catalog_rounds_and_audits(as_user, clinic):
    role = Role.BILLING  # one permitted role; tests/test_personas.py covers the others
    client = as_user(clinic.staff[role])
    response = client.post(LIST, payload(clinic, price="4.9900", tax_rate="7.5"))
    assert response.status_code == 201, response.data
    assert (response.data["price"], response.data["tax_rate"], response.data["active"]) == ("4.99", "7.5", True)
    response = client.patch(detail(CatalogItem.objects.get()), {"price": "0.3333", "active": False})
    assert response.status_code == 200, response.data
    assert (response.data["price"], response.data["active"]) == ("0.3333", False)
    assert AuditEvent.objects.filter(resource_type="service").count() == 2


def test_codes_are_unique_per_clinic(as_user, clinic, other_clinic):
    CatalogItemFactory(clinic=other_clinic, code="CONS")
    client = as_user(clinic.staff[Role.OWNER])
    assert client.post(LIST, payload(clinic)).status_code == 201
    response = client.post(LIST, payload(clinic, name="Again"))
    assert (response.status_code, response.data["code"]) == (409, "service_code_taken")
    assert CatalogItem.objects.filter(clinic=clinic).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "80.12345"}, "price"),  # five decimals
        ({"price": 0.1 + 0.2}, "price"),
        ({"price": "-1.00"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"price": ""}, "price"),
        ({"tax_rate": "100.5"}, "tax_rate"),
        ({"tax_rate": "-7"}, "tax_rate"),
        ({"tax_rate": "19.00001"}, "tax_rate"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "USD"}, "currency"),
        ({"code": "has space"}, "code"),
        ({"code": ""}, "code"),
        ({"name": "x" * 201}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(as_user, clinic, overrides, field):
    response = as_user(clinic.staff[Role.OWNER]).post(LIST, payload(clinic, **overrides), format="json")
    assert response.status_code == 400, response.data
    assert field in response.data["fields"]
    assert not CatalogItem.objects.exists()
    assert not AuditEvent.objects.filter(resource_type="service").exists()


def test_a_price_change_leaves_existing_invoices_alone(as_user, clinic):
    service = CatalogItemFactory(clinic=clinic, price=Decimal("80.00"))
    invoice = draft_invoice(clinic, lines=[LineInput(service_id=service.pk, quantity=Decimal("1"))])
    assert as_user(clinic.staff[Role.OWNER]).patch(detail(service), {"price": "95.00"}).status_code == 200
    invoice.refresh_from_db()
    assert invoice.total == Decimal("80.00")


def test_the_list_filters_active_and_keeps_its_query_count(as_user, clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(12):
        CatalogItemFactory(clinic=clinic, code=f"S{n:02d}", active=n % 2 == 0)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    assert len(client.get(LIST, {"active": "true"}).data["results"]) == 6
    assert len(client.get(LIST, {"active": "false"}).data["results"]) == 6
    counts = []
    for page_size in (3, 12):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(LIST, {"page_size": page_size}).data["results"]) == page_size
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3
