"""Billing: a clinic's catalog (CatalogItem), invoices and their lines, payments, refunds, idempotency records.

Every amount is a Decimal column. Amounts that are charged or paid are stored
already rounded to the currency's minor unit (apps.billing.money); unit
prices, quantities and tax rates keep up to four decimal places.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import BaseModel, ClinicOwnedModel


def _money(**kwargs: object) -> models.DecimalField:
    # 14 digits, 4 places: ten digits before the point whatever the currency.
    return models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"), **kwargs)  # type: ignore[arg-type]


class CatalogItem(ClinicOwnedModel):
    """An entry of a clinic's catalog (a "service" in the API): what the clinic charges for, at which
    price and tax rate.

    Named apart from the services layer (``services.py``); it keeps the table
    and the API and audit names of its first name, ``Service``. Lines copy the
    price and rate when they are written, so changing the catalog never changes
    an existing invoice. Entries are deactivated, not deleted, once lines refer
    to them.
    """

    audit_resource_type = "service"  # the audit trail's name for it, from before the rename

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    # Percent: 19 means 19 %.
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"))
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "billing_service"
        ordering = ["code", "id"]
        constraints = [models.UniqueConstraint(fields=["clinic", "code"], name="billing_service_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class Invoice(ClinicOwnedModel):
    """A bill to a patient: draft -> issued -> paid, or void.

    The number (``2026-000123``) is given at issue from a gapless per-clinic,
    per-year counter. Once issued, lines and amounts never change; voiding (with
    a reason) and re-issuing a copy is the correction path. ``paid_amount`` is
    payments less refunds, kept under the invoice's row lock by the payment
    services, so balances and reports are plain SQL over this table.
    ``appointment`` is the visit the invoice bills: at most one live (not void)
    invoice per appointment, enforced by a partial unique index. Billing may
    depend on scheduling, never the reverse (scheduling calls billing through
    apps.scheduling.hooks). ``legacy_appointment_id`` is the old plain-UUID
    column, still written for one release so a previous release running
    during a deploy keeps reading it; it is dropped in the next release.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    # The pre-FK column, kept one release (written alongside ``appointment``), then dropped.
    legacy_appointment_id = models.UUIDField(null=True, blank=True, db_column="appointment_id")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_column="appointment_fk_id",
        db_index=False,  # the partial unique index below serves lookups by appointment
    )
    number = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    currency = models.CharField(max_length=3)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=1000)
    subtotal = _money()
    tax_total = _money()
    total = _money()
    paid_amount = _money()
    # Sum of the issued credit notes against this invoice, kept under the invoice's row lock.
    # db_default: a previous release's INSERTs (which do not name the column) still work during a deploy.
    credited_amount = _money(db_default=Decimal("0"))
    # Set by the daily job (in the clinic's local date) once an issued invoice is past due.
    overdue_since = models.DateField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=500, blank=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", db_index=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "number"], condition=~Q(number=""), name="billing_invoice_number_unique"
            ),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="billing_invoice_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(paid_amount__lte=models.F("total")), name="billing_invoice_not_overpaid"
            ),
            # One live invoice per appointment (void ones are history).
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(appointment__isnull=False) & ~Q(status="void"),
                name="billing_invoice_one_live_per_appointment",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "status", "due_date"], name="billing_invoice_status_due"),
            models.Index(fields=["clinic", "issue_date"], name="billing_invoice_issue_date"),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number or self.pk} ({self.status})"

    @property
    def balance(self) -> Decimal:
        """What is still owed: a draft's whole total (nothing is paid on a draft), zero once void.

        Credit notes lower ``total``'s due part through ``credited_amount``.
        """
        if self.status == InvoiceStatus.VOID:
            return Decimal("0")
        return self.total - self.credited_amount - self.paid_amount


class InvoiceLine(BaseModel):
    """One line: a catalog service or free text, quantity x unit price, and its tax rate.

    ``net_amount`` and ``tax_amount`` are rounded half-up per line when the line
    is written; the invoice's totals are their sums.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    service = models.ForeignKey(CatalogItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=12, decimal_places=4)
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4)
    net_amount = _money()
    tax_amount = _money()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="billing_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="billing_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="billing_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"line {self.position} of {self.invoice_id}"

    @property
    def total_amount(self) -> Decimal:
        return self.net_amount + self.tax_amount


class PaymentMethod(models.TextChoices):
    # Translated: the PDF prints the label in the clinic's language.
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    INSURANCE = "insurance", _("Insurance")


class Payment(ClinicOwnedModel):
    """Money received against an issued invoice. Never changed; refunds are records of their own."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = _money()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Sum of this payment's refunds, kept under the payment's row lock.
    refunded_amount = _money()

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="billing_payment_refunds_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "received_at"], name="billing_payment_received")]

    def __str__(self) -> str:
        return f"payment {self.pk} of {self.amount} {self.currency}"


class Refund(ClinicOwnedModel):
    """Money given back from one payment; the refunds of a payment never exceed it."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = _money()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=500)
    refunded_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["refunded_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="billing_refund_amount_positive")]
        indexes = [models.Index(fields=["clinic", "refunded_at"], name="billing_refund_refunded")]

    def __str__(self) -> str:
        return f"refund {self.pk} of {self.amount} {self.currency}"


class IdempotencyRecord(ClinicOwnedModel):
    """The first response to a request that carried an ``Idempotency-Key``.

    One row per (clinic, key), enforced by a unique constraint: a concurrent
    second request with the same key waits on the first one's uncommitted row,
    then finds it and replays its response. ``request_hash`` fingerprints the
    method, path and body; the same key with another fingerprint is refused.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    # Filled in the same transaction that claimed the key: a committed row always has its response.
    response_status = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(default=dict)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="billing_idempotency_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="billing_idempotency_created")]

    def __str__(self) -> str:
        return f"idempotency key {self.key} ({self.response_status})"


# Credit notes live in their own module (one job per module); imported here so Django registers them.
from apps.billing.credit_models import CreditNote, CreditNoteKind, CreditNoteLine  # noqa: E402, F401
