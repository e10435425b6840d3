"""Visit records: what happened at an appointment, written by its practitioner.

One ``Visit`` per appointment (unique). While ``open`` the practitioner edits
the clinical note, the services performed and the diagnosis codes; ``sign``
freezes all three for good (an ``Addendum`` is the only way to add to a signed
note). ``complete`` captures the charges: it drafts the appointment's invoice
from the services (apps.visits.capture).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import BaseModel, ClinicOwnedModel


class VisitStatus(models.TextChoices):
    OPEN = "open", "Open"
    SIGNED = "signed", "Signed"


class Visit(ClinicOwnedModel):
    """The clinical record of one appointment, owned by the appointment's practitioner."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+", db_index=False)
    appointment = models.OneToOneField("scheduling.Appointment", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+", db_index=False)
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=VisitStatus.choices, default=VisitStatus.OPEN)
    note = models.TextField(blank=True, max_length=20000)
    # ICD-10-shaped codes (validated by shape; no code list is shipped), in the order given.
    diagnosis_codes = models.JSONField(default=list, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The invoice drafted at completion (None: no services, or the appointment was billed already).
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["clinic", "practitioner", "created_at"], name="visits_clinic_practitioner")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(signed_at__isnull=False), name="visits_signed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"visit {self.pk} ({self.status})"


class VisitService(BaseModel):
    """A catalog service performed at the visit, with its quantity; priced only when the visit completes."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="services")
    position = models.PositiveSmallIntegerField()
    service = models.ForeignKey("billing.CatalogItem", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("1"))

    class Meta:
        ordering = ["visit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "position"], name="visits_service_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="visits_service_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"service {self.position} of {self.visit_id}"


class Addendum(BaseModel):
    """Text added to a signed note by its practitioner; never changed or removed."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=20000)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"addendum {self.pk} to {self.visit_id}"
