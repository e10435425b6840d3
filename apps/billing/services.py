"""Writes to the catalog and to invoices: drafts, issue (gapless numbers), void, re-issue.

Payments and refunds are in apps.billing.payments; the rules they share with
invoices (currency, local dates, locking) are here.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.record import audit_record
from apps.billing.appointments import resolve_appointment, save_linked
from apps.billing.drafts import require_draft_writer
from apps.billing.events import BillingEvent
from apps.billing.models import CatalogItem, Invoice, InvoiceLine, InvoiceStatus
from apps.billing.money import decimal_places, line_amounts, minor_units
from apps.clinics.models import Clinic
from apps.clinics.services import clinic_counter_next
from apps.core.currencies import is_currency
from apps.core.errors import ApplicationError, ConflictError
from apps.patients.models import Patient

# Days between issue and due date when the invoice does not say.
DEFAULT_PAYMENT_TERMS_DAYS = 14
MAX_LINES = 200
NUMBER_DIGITS = 6
# Amount columns hold ten digits before the point; a larger invoice is refused, not overflowed.
MAX_AMOUNT = Decimal("9999999999")


@dataclass(frozen=True)
class LineInput:
    """One line as the API parsed it: a catalog service, or free text with a price."""

    quantity: Decimal
    service_id: Any = None
    description: str = ""
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = None


def clinic_today(clinic: Clinic, now: datetime | None = None) -> date:
    """Today's date (or ``now``'s) where the clinic is: dates on invoices are the clinic's local dates."""
    return timezone.localdate(now, timezone=ZoneInfo(clinic.time_zone))


def format_invoice_number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:0{NUMBER_DIGITS}d}"


def check_currency(expected: str, given: str | None, *, field: str = "currency") -> str:
    """The currency amounts are in (``expected``: the clinic's or the invoice's).

    A ``given`` currency is optional, but must be a real ISO 4217 code and equal it.
    """
    if not is_currency(expected):
        raise ApplicationError("The clinic's currency is not a known ISO 4217 code.", code="invalid_currency")
    if given is None or given == "":
        return expected
    if not is_currency(given):
        raise ApplicationError(
            "Unknown currency.", code="invalid_currency", fields={field: [f"{given!r} is not an ISO 4217 code."]}
        )
    if given != expected:
        raise ApplicationError(
            f"Amounts here are in {expected}.", code="currency_mismatch", fields={field: [f"Must be {expected}."]}
        )
    return expected


def check_amount_places(amount: Decimal, currency: str, *, field: str = "amount") -> None:
    """An amount of money has at most the currency's decimal places (no fractions of a cent)."""
    places = minor_units(currency)
    if decimal_places(amount) > places:
        raise ApplicationError(
            f"{currency} amounts have at most {places} decimal places.",
            fields={field: [f"At most {places} decimal places in {currency}."]},
        )


def lock_invoice(invoice_id: Any) -> Invoice:
    """The invoice, re-read under a row lock for the rest of the transaction."""
    return Invoice.objects.select_for_update().select_related("clinic").get(pk=invoice_id)


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise ConflictError(
            f"An {invoice.status} invoice cannot be changed; void it and re-issue a corrected copy.",
            code="invoice_immutable",
            extra={"status": invoice.status},
        )


# --- Drafts ----------------------------------------------------------------


def _build_lines(clinic: Clinic, currency: str, lines: Sequence[LineInput]) -> list[InvoiceLine]:
    """Validate every line against the clinic's catalog and price it; nothing is saved here."""
    if len(lines) > MAX_LINES:
        raise ApplicationError(f"At most {MAX_LINES} lines.", fields={"lines": [f"At most {MAX_LINES} lines."]})
    wanted = {line.service_id for line in lines if line.service_id is not None}
    services = {s.pk: s for s in CatalogItem.objects.filter(clinic_id=clinic.pk, pk__in=wanted, active=True)}
    errors: dict[str, dict[str, list[str]]] = {}
    built = []
    for position, line in enumerate(lines, start=1):
        service = None
        if line.service_id is not None:
            service = services.get(line.service_id)
            if service is None:
                errors[str(position - 1)] = {"service": ["No such active service in this clinic's catalog."]}
                continue
        elif not line.description or line.unit_price is None:
            errors[str(position - 1)] = {"description": ["A line without a service needs a description and a price."]}
            continue
        unit_price = line.unit_price
        if unit_price is None:
            assert service is not None  # a line without a service was refused above without a price
            unit_price = service.price
        tax_rate = line.tax_rate
        if tax_rate is None:
            tax_rate = service.tax_rate if service is not None else Decimal("0")
        net, tax = line_amounts(quantity=line.quantity, unit_price=unit_price, tax_rate=tax_rate, currency=currency)
        built.append(
            InvoiceLine(
                position=position,
                service=service,
                description=line.description or (service.name if service else ""),
                quantity=line.quantity,
                unit_price=unit_price,
                tax_rate=tax_rate,
                net_amount=net,
                tax_amount=tax,
            )
        )
    if errors:
        raise ApplicationError("Some lines are invalid.", fields={"lines": errors})
    if sum((line.net_amount + line.tax_amount for line in built), Decimal("0")) > MAX_AMOUNT:
        raise ApplicationError(
            "The invoice total is too large.", code="amount_too_large", fields={"lines": [f"At most {MAX_AMOUNT}."]}
        )
    return built


def _replace_lines(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    InvoiceLine.objects.filter(invoice=invoice).delete()
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    invoice.subtotal = sum((line.net_amount for line in lines), Decimal("0"))
    invoice.tax_total = sum((line.tax_amount for line in lines), Decimal("0"))
    invoice.total = invoice.subtotal + invoice.tax_total


def _resolve_patient(clinic: Clinic, patient_id: Any) -> Patient:
    patient = Patient.objects.filter(pk=patient_id, clinic_id=clinic.pk).first()
    if patient is None:
        # Another clinic's patient looks exactly like a missing one.
        raise ApplicationError("No such patient in this clinic.", fields={"patient": ["No such patient."]})
    return patient


@transaction.atomic
def invoice_create(
    *,
    actor: User,
    clinic: Clinic,
    patient_id: Any,
    lines: Sequence[LineInput] = (),
    currency: str | None = None,
    due_date: date | None = None,
    notes: str = "",
    appointment_id: Any = None,
) -> Invoice:
    """A draft invoice in the clinic's currency, with its lines; everything is checked before anything is written.

    A draft without lines is refused (400): it could only be issued after an
    edit, and is otherwise a stray row in every list.
    """
    invoice_currency = check_currency(clinic.currency, currency)
    patient = _resolve_patient(clinic, patient_id)
    if not lines:
        raise ApplicationError(
            "An invoice is created with its lines: add at least one.",
            code="invoice_needs_lines",
            fields={"lines": ["At least one line."]},
        )
    built = _build_lines(clinic, invoice_currency, lines)
    appointment = resolve_appointment(clinic_id=clinic.pk, patient_id=patient.pk, appointment_id=appointment_id)
    invoice = Invoice(
        clinic=clinic,
        patient=patient,
        appointment=appointment,
        legacy_appointment_id=appointment_id,
        currency=invoice_currency,
        due_date=due_date,
        notes=notes,
        created_by=actor,
    )
    save_linked(invoice)
    _replace_lines(invoice, built)
    invoice.save(update_fields=["subtotal", "tax_total", "total", "updated_at"])
    audit_record(
        actor=actor,
        obj=invoice,
        event=BillingEvent.INVOICE_CREATE,
        changes={"lines": len(built), "total": str(invoice.total)},
    )
    return invoice


@transaction.atomic
def invoice_update(*, actor: User, invoice: Invoice, changes: dict[str, Any]) -> Invoice:
    """Change a draft (lines are replaced as a whole); an issued invoice answers 409."""
    invoice = lock_invoice(invoice.pk)
    require_draft_writer(actor=actor, invoice=invoice)
    _require_draft(invoice)
    changes = dict(changes)
    check_currency(invoice.currency, changes.pop("currency", None))
    fields = ["updated_at"]
    if "appointment_id" in changes:
        raw = changes.pop("appointment_id")
        invoice.appointment = resolve_appointment(
            clinic_id=invoice.clinic_id, patient_id=invoice.patient_id, appointment_id=raw
        )
        invoice.legacy_appointment_id = raw
        fields += ["appointment", "legacy_appointment_id"]
    if "lines" in changes:
        _replace_lines(invoice, _build_lines(invoice.clinic, invoice.currency, changes.pop("lines")))
        fields += ["subtotal", "tax_total", "total"]
    for name, value in changes.items():
        setattr(invoice, name, value)
        fields.append(name)
    save_linked(invoice, update_fields=fields)
    audit_record(
        actor=actor,
        obj=invoice,
        event=BillingEvent.INVOICE_UPDATE,
        changes={"fields": sorted(set(fields) - {"updated_at"})},
    )
    return invoice


@transaction.atomic
def invoice_delete_draft(*, actor: User, invoice: Invoice) -> None:
    """Drafts have no number yet, so deleting one leaves no gap; issued invoices are voided instead."""
    invoice = lock_invoice(invoice.pk)
    require_draft_writer(actor=actor, invoice=invoice)
    _require_draft(invoice)
    audit_record(actor=actor, obj=invoice, event=BillingEvent.INVOICE_DELETE)
    invoice.delete()


# --- Issue, void, re-issue ---------------------------------------------------


@transaction.atomic
def invoice_issue(*, actor: User, invoice: Invoice, due_date: date | None = None) -> Invoice:
    """Give the draft its number (gapless per clinic and year) and freeze it.

    The number comes from the clinic's counter inside this transaction: a
    rollback returns it, and concurrent issues queue on the counter's row lock.
    """
    invoice = lock_invoice(invoice.pk)
    _require_draft(invoice)
    if not invoice.lines.exists():
        raise ConflictError("An invoice needs at least one line to be issued.", code="invoice_empty")
    today = clinic_today(invoice.clinic)
    due = due_date or invoice.due_date or today + timedelta(days=DEFAULT_PAYMENT_TERMS_DAYS)
    if due < today:
        raise ApplicationError("The due date cannot be before the issue date.", fields={"due_date": ["Too early."]})
    sequence = clinic_counter_next(clinic_id=invoice.clinic_id, key=f"invoice-{today.year}")
    invoice.number = format_invoice_number(today.year, sequence)
    invoice.status = InvoiceStatus.ISSUED
    invoice.issue_date = today
    invoice.due_date = due
    invoice.issued_at = timezone.now()
    invoice.issued_by = actor
    if invoice.total == 0:
        # Nothing to pay (a free service): settled the moment it is issued.
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = invoice.issued_at
    invoice.save()
    audit_record(
        actor=actor,
        obj=invoice,
        event=BillingEvent.INVOICE_ISSUE,
        changes={"number": invoice.number, "total": str(invoice.total)},
    )
    return invoice


@transaction.atomic
def invoice_void(*, actor: User, invoice: Invoice, reason: str) -> Invoice:
    """Cancel an issued invoice, keeping its number. Money received must be refunded first."""
    invoice = lock_invoice(invoice.pk)
    if invoice.status == InvoiceStatus.VOID:
        raise ConflictError("The invoice is already void.", code="invoice_void")
    if invoice.status == InvoiceStatus.DRAFT:
        raise ConflictError("A draft has no number to void; delete it instead.", code="invoice_not_issued")
    if invoice.paid_amount > 0:
        raise ConflictError(
            "Refund the payments before voiding the invoice.",
            code="invoice_has_payments",
            extra={"paid_amount": str(invoice.paid_amount)},
        )
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = timezone.now()
    invoice.voided_by = actor
    invoice.void_reason = reason
    invoice.overdue_since = None
    invoice.save(update_fields=["status", "voided_at", "voided_by", "void_reason", "overdue_since", "updated_at"])
    audit_record(
        actor=actor, obj=invoice, event=BillingEvent.INVOICE_VOID, changes={"number": invoice.number}
    )  # the reason is free text: not here
    return invoice


@transaction.atomic
def invoice_reissue(*, actor: User, invoice: Invoice) -> Invoice:
    """A new draft copied from a void invoice (same patient, lines and prices), linked by ``replaces``.

    The copy is edited and issued like any draft and gets a new number; the void
    invoice keeps its own. A void invoice is re-issued at most once.
    """
    invoice = lock_invoice(invoice.pk)
    if invoice.status != InvoiceStatus.VOID:
        raise ConflictError("Only a void invoice can be re-issued.", code="invoice_not_void")
    if Invoice.objects.filter(replaces=invoice).exists():
        raise ConflictError("This invoice has been re-issued already.", code="invoice_already_reissued")
    copy = Invoice.objects.create(
        clinic=invoice.clinic,
        patient_id=invoice.patient_id,
        appointment_id=invoice.appointment_id,
        legacy_appointment_id=invoice.legacy_appointment_id,
        currency=invoice.currency,
        notes=invoice.notes,
        subtotal=invoice.subtotal,
        tax_total=invoice.tax_total,
        total=invoice.total,
        replaces=invoice,
        created_by=actor,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=copy,
            position=line.position,
            service_id=line.service_id,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            net_amount=line.net_amount,
            tax_amount=line.tax_amount,
        )
        for line in invoice.lines.all()
    )
    audit_record(actor=actor, obj=copy, event=BillingEvent.INVOICE_REISSUE, changes={"replaces": str(invoice.pk)})
    return copy
