"""Writes to a clinic's service catalog. Codes are unique per clinic; services are deactivated, never deleted."""

from typing import Any

from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.billing.events import BillingEvent
from apps.billing.models import CatalogItem
from apps.billing.services import check_currency
from apps.clinics.models import Clinic
from apps.core.errors import ConflictError


def _save_catalog_item(service: CatalogItem) -> None:
    service.full_clean(validate_unique=False, validate_constraints=False)  # the unique index decides, race-free
    try:
        with transaction.atomic():
            service.save()
    except IntegrityError:
        raise ConflictError(
            "The clinic has a service with this code.", code="service_code_taken", fields={"code": ["Taken."]}
        ) from None


@transaction.atomic
def catalog_item_create(*, actor: User, clinic: Clinic, data: dict[str, Any]) -> CatalogItem:
    """Add a service to the clinic's catalog; codes are unique per clinic (409)."""
    data = dict(data)
    check_currency(clinic.currency, data.pop("currency", None))
    service = CatalogItem(clinic=clinic, **data)
    _save_catalog_item(service)
    audit_record(
        actor=actor,
        obj=service,
        event=BillingEvent.SERVICE_CREATE,
        changes={"code": service.code, "price": str(service.price), "tax_rate": str(service.tax_rate)},
    )
    return service


@transaction.atomic
def catalog_item_update(*, actor: User, service: CatalogItem, changes: dict[str, Any]) -> CatalogItem:
    """Change a catalog entry. Existing invoice lines keep the price they were written with."""
    changes = dict(changes)
    check_currency(service.clinic.currency, changes.pop("currency", None))
    changed = {name: value for name, value in changes.items() if getattr(service, name) != value}
    if not changed:
        return service
    for name, value in changed.items():
        setattr(service, name, value)
    _save_catalog_item(service)
    audit_record(
        actor=actor,
        obj=service,
        event=BillingEvent.SERVICE_UPDATE,
        changes={name: str(value) for name, value in changed.items()},
    )
    return service
