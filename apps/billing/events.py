"""The audit vocabulary of billing: catalog, invoices, payments, refunds."""

from django.db import models


class BillingEvent(models.TextChoices):
    """Audit actions recorded by apps.billing (the stored value is the ``action``)."""

    SERVICE_CREATE = "service.create", "Service added to the catalog"
    SERVICE_UPDATE = "service.update", "Catalog service changed"
    INVOICE_CREATE = "invoice.create", "Invoice drafted"
    INVOICE_UPDATE = "invoice.update", "Draft invoice changed"
    INVOICE_DELETE = "invoice.delete", "Draft invoice deleted"
    INVOICE_ISSUE = "invoice.issue", "Invoice issued"
    INVOICE_VOID = "invoice.void", "Invoice voided"
    INVOICE_REISSUE = "invoice.reissue", "Invoice reissued"
    INVOICE_MARK_OVERDUE = "invoice.mark_overdue", "Invoice marked overdue"
    # Reads: an invoice names its patient and what they were treated for.
    INVOICE_READ = "invoice.read", "Invoice read"
    INVOICE_LIST = "invoice.list", "Invoices listed"
    INVOICE_PDF = "invoice.pdf", "Invoice PDF rendered"
    PAYMENT_CREATE = "payment.create", "Payment taken"
    REFUND_CREATE = "refund.create", "Refund made"
    CREDIT_NOTE_ISSUE = "credit_note.issue", "Credit note issued"
    CREDIT_NOTE_READ = "credit_note.read", "Credit note read"
    CREDIT_NOTE_LIST = "credit_note.list", "Credit notes listed"
    CREDIT_NOTE_PDF = "credit_note.pdf", "Credit note PDF rendered"
