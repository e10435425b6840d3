"""Reading visit records: who sees which is DESIGN.md's clinical-notes column.

Owners and admins read every record of their clinics; a practitioner reads
only their own; receptionists and billing read none. Another practitioner's
record looks exactly like a missing one (404).
"""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from apps.core.roles import READ
from apps.core.tenancy import clinic_ids_with
from apps.visits.models import Addendum, Visit, VisitService

RESOURCE = "clinical_notes"


def visit_queryset_for(user: Any) -> QuerySet[Visit]:
    """The visits ``user`` may read: all of the clinics where they read others', their own where they read own."""
    all_of = clinic_ids_with(user, RESOURCE, "read_others")
    own_in = clinic_ids_with(user, RESOURCE, READ)
    return Visit.objects.filter(Q(clinic_id__in=all_of) | Q(clinic_id__in=own_in, practitioner_id=user.pk))


def visit_with_details(queryset: QuerySet[Visit]) -> QuerySet[Visit]:
    """Visits with their services (and each service's catalog entry) and addenda: two extra queries per page."""
    return queryset.prefetch_related(
        Prefetch("services", queryset=VisitService.objects.select_related("service").order_by("position")),
        Prefetch("addenda", queryset=Addendum.objects.order_by("created_at", "id")),
    )


def visit_list(*, queryset: QuerySet[Visit], patient_id: Any = None, status: str | None = None) -> QuerySet[Visit]:
    """Visits, newest first, by patient and status (``queryset`` carries ``visit_with_details`` already)."""
    if patient_id is not None:
        queryset = queryset.filter(patient_id=patient_id)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")
