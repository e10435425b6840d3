"""Scheduling API views, one module per job."""

from apps.scheduling.api.views.appointments import AppointmentViewSet
from apps.scheduling.api.views.availability import AvailabilityExceptionViewSet, AvailabilityViewSet, SlotViewSet
from apps.scheduling.api.views.feeds import CalendarFeedIcsView, CalendarFeedViewSet
from apps.scheduling.api.views.front_desk import PractitionerViewSet
from apps.scheduling.api.views.preferences import ReminderPreferenceViewSet
from apps.scheduling.api.views.series import AppointmentSeriesViewSet

__all__ = [
    "AppointmentSeriesViewSet",
    "AppointmentViewSet",
    "AvailabilityExceptionViewSet",
    "AvailabilityViewSet",
    "CalendarFeedIcsView",
    "CalendarFeedViewSet",
    "PractitionerViewSet",
    "ReminderPreferenceViewSet",
    "SlotViewSet",
]
