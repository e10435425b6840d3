"""Credit notes: the only way to change what an issued invoice bills.

A credit note is issued the moment it is created (it has no draft): it gets a
gapless number per clinic and year (``CN-2026-000001``) from the clinic's
counter, and lowers its invoice's ``credited_amount`` under the invoice's row
lock. The invoice itself, its lines and amounts, never change.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.billing.models import Invoice, InvoiceLine, _money
from apps.core.models import BaseModel, ClinicOwnedModel


class CreditNoteKind(models.TextChoices):
    FULL = "full", "Everything that remains"
    LINES = "lines", "Quantities of invoice lines"
    AMOUNT = "amount", "An amount (tax in the invoice's proportion)"


class CreditNote(ClinicOwnedModel):
    """An issued credit against one invoice; ``total`` = ``net_amount`` + ``tax_amount``, never above what remained."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=CreditNoteKind.choices)
    currency = models.CharField(max_length=3)
    issue_date = models.DateField()
    reason = models.CharField(max_length=500)
    net_amount = _money()
    tax_amount = _money()
    total = _money()
    # What went back to the patient because they had paid more than the new total (refunds of payments).
    refunded_amount = _money()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "number"], name="billing_credit_note_number_unique"),
            models.CheckConstraint(condition=Q(total__gt=0), name="billing_credit_note_total_positive"),
        ]
        indexes = [models.Index(fields=["clinic", "issue_date"], name="billing_credit_note_issue_date")]

    def __str__(self) -> str:
        return f"Credit note {self.number}"


class CreditNoteLine(BaseModel):
    """A quantity of one invoice line taken back, priced as that line was."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="credit_lines")
    quantity = models.DecimalField(max_digits=12, decimal_places=4)
    net_amount = _money()
    tax_amount = _money()

    class Meta:
        ordering = ["credit_note", "invoice_line__position"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="billing_credit_line_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"credit of {self.quantity} x line {self.invoice_line_id}"
