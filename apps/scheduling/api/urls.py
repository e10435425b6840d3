from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.scheduling.api.views import (
    AppointmentSeriesViewSet,
    AppointmentViewSet,
    AvailabilityExceptionViewSet,
    AvailabilityViewSet,
    CalendarFeedIcsView,
    CalendarFeedViewSet,
    PractitionerViewSet,
    ReminderPreferenceViewSet,
    SlotViewSet,
)

router = SimpleRouter(use_regex_path=False)
router.register("availability", AvailabilityViewSet, basename="availability")
router.register("availability-exceptions", AvailabilityExceptionViewSet, basename="availability-exception")
router.register("slots", SlotViewSet, basename="slot")
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("calendar-feeds", CalendarFeedViewSet, basename="calendar-feed")
router.register("appointment-series", AppointmentSeriesViewSet, basename="appointment-series")
router.register("reminder-preferences", ReminderPreferenceViewSet, basename="reminder-preference")

practitioners = PractitionerViewSet.as_view({"get": "list"})

urlpatterns = [
    *router.urls,
    path("clinics/<uuid:clinic_pk>/practitioners/", practitioners, name="clinic-practitioners"),
    path("feeds/<str:token>.ics", CalendarFeedIcsView.as_view(), name="calendar-feed-ics"),
]
