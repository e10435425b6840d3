"""What the scheduling views share: the body-named clinic, roles, the zone of list filters, pagination."""

from typing import Any
from zoneinfo import ZoneInfo

from rest_framework.request import Request

from apps.clinics.models import Clinic
from apps.core.pagination import PagePagination
from apps.core.roles import Role
from apps.core.tenancy import clinic_roles
from apps.core.viewsets import ClinicScopedViewSet


def clinic_for_write(view: ClinicScopedViewSet, clinic_id: Any) -> tuple[Clinic, Role]:
    """The clinic named in a create's body, or a 400 on the field: a non-member learns nothing."""
    role = view.require_clinic_for_write(clinic_id)
    return Clinic.objects.get(pk=clinic_id), role


def role_in(request: Request, clinic_id: Any) -> Role:
    return clinic_roles(request.user)[clinic_id]


def zone_of(clinic_id: Any) -> ZoneInfo:
    """The zone that days in a list filter are local to: the ``?clinic=`` given, else UTC."""
    if clinic_id is not None:
        zone = Clinic.objects.filter(pk=clinic_id).values_list("time_zone", flat=True).first()
        if zone:
            return ZoneInfo(zone)
    return ZoneInfo("UTC")


class AppointmentPagination(PagePagination):
    """Up to 200 rows a page: a busy clinic's day fits in one (the rows are rendered from values())."""

    max_page_size = 200
