"""What the scheduling views share: the body-named clinic, roles, query parameters."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from apps.clinics.models import Clinic
from apps.core.dates import aware_datetime_param, date_param
from apps.core.pagination import PagePagination
from apps.core.roles import Role
from apps.core.tenancy import clinic_roles, parse_uuid_param
from apps.core.viewsets import ClinicScopedViewSet


def clinic_for_write(view: ClinicScopedViewSet, clinic_id: Any) -> tuple[Clinic, Role]:
    """The clinic named in a create's body, or a 400 on the field: a non-member learns nothing."""
    role = view.require_clinic_for_write(clinic_id)
    return Clinic.objects.get(pk=clinic_id), role


def role_in(request: Request, clinic_id: Any) -> Role:
    return clinic_roles(request.user)[clinic_id]


def uuid_param(request: Request, name: str) -> Any:
    raw = request.query_params.get(name)
    return parse_uuid_param(raw, name) if raw else None


def bound_param(request: Request, name: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime | None:
    """A date (local midnight in ``zone``; the next midnight for an inclusive end) or an instant with offset."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    if len(raw) == 10:
        day = date_param(raw, name)
        return datetime.combine(day + timedelta(days=1) if end_of_day else day, time(0), tzinfo=zone)
    return aware_datetime_param(raw, name)


def zone_of_filter(request: Request) -> ZoneInfo:
    """Dates in list filters are local to the ?clinic= given, else UTC."""
    clinic_id = uuid_param(request, "clinic")
    if clinic_id is not None:
        zone = Clinic.objects.filter(pk=clinic_id).values_list("time_zone", flat=True).first()
        if zone:
            return ZoneInfo(zone)
    return ZoneInfo("UTC")


CLINIC_PARAM = OpenApiParameter("clinic", OpenApiTypes.UUID)
PRACTITIONER_PARAM = OpenApiParameter("practitioner", OpenApiTypes.UUID)
RANGE_PARAMS = [
    OpenApiParameter("date_from", str, description="YYYY-MM-DD (local to ?clinic=, else UTC) or a date-time"),
    OpenApiParameter("date_to", str, description="inclusive YYYY-MM-DD, or an exclusive date-time"),
]


class AppointmentPagination(PagePagination):
    """Up to 200 rows a page: a busy clinic's day fits in one (the rows are rendered from values())."""

    max_page_size = 200
