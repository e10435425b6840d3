"""The query parameters of scheduling's lists (apps/core/filters.py): validated, and listed in the schema.

Days in ``date_from``/``date_to`` of appointment lists are local to ``?clinic=``
(UTC without one); an instant with an offset is taken as given.
"""

from rest_framework import serializers

from apps.core.filters import ChoicesParam, DateParam, DayOrInstantParam, IdParam, ListFilter, ordering_param
from apps.patients.api.serializers import no_control_characters
from apps.scheduling.models import AppointmentStatus

APPOINTMENT_STATUSES = [choice.value for choice in AppointmentStatus]


class PractitionerFilter(ListFilter):
    practitioner = IdParam(help_text="Only this practitioner's.")


class AvailabilityExceptionListFilter(PractitionerFilter):
    date_from = DateParam(help_text="On or after this local date.")
    date_to = DateParam(help_text="On or before this local date.")


class PeriodFilter(PractitionerFilter):
    date_from = DayOrInstantParam(help_text="YYYY-MM-DD (local to ?clinic=, else UTC) or a date-time with offset.")
    date_to = DayOrInstantParam(help_text="Inclusive YYYY-MM-DD, or an exclusive date-time with offset.")


class AppointmentListFilter(PeriodFilter):
    patient = IdParam(help_text="Only this patient's.")
    status = ChoicesParam(APPOINTMENT_STATUSES)
    ordering = ordering_param("start", help_text="By start: earliest first (the default) or -start, latest first.")


class CalendarFilter(PeriodFilter):
    practitioner = IdParam(help_text="Whose appointments; default: the caller's.")


class PatientFilter(ListFilter):
    patient = IdParam(help_text="Only this patient's.")


class SeriesListFilter(PractitionerFilter):
    patient = IdParam(help_text="Only this patient's.")


class PractitionerSearchFilter(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        validators=[no_control_characters],
        help_text="Part of the name, any case.",
    )
