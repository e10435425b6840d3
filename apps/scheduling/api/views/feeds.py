"""Calendar subscriptions: secret per-practitioner feed URLs (issue = rotate, revoke) and the feed itself.

The feed URL works without any header (calendar apps cannot send one): the
token in the path is the credential. It is read-only, audited on every read,
and stops working the moment it is rotated or revoked.
"""

import re
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.authentication import request_user
from apps.core.errors import NotFoundError
from apps.core.filters import narrowed
from apps.core.roles import MANAGERS
from apps.core.serializers import StrictInputSerializer
from apps.core.tenancy import clinic_roles
from apps.core.viewsets import ClinicScopedViewSet
from apps.scheduling import ical, selectors
from apps.scheduling.api.appointment_output import in_zone
from apps.scheduling.api.filters import PractitionerFilter
from apps.scheduling.api.renderers import ICalendarRenderer
from apps.scheduling.api.views.common import clinic_for_write, role_in
from apps.scheduling.models import CalendarFeed
from apps.scheduling.services import feeds as feed_services

# What a subscription shows: a month back, half a year ahead (calendar apps poll it).
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180
# secrets.token_urlsafe(32): 43 URL-safe characters.
URL_KEY_PATTERN = r"^[A-Za-z0-9_-]{43}$"


class CalendarFeedInput(StrictInputSerializer):
    clinic = serializers.UUIDField()
    practitioner = serializers.UUIDField(required=False, help_text="Default: the caller")


class CalendarFeedOutput(serializers.Serializer):
    id = serializers.UUIDField()
    clinic = serializers.UUIDField()
    practitioner = serializers.UUIDField()
    time_zone = serializers.CharField()
    live = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class CalendarFeedIssuedOutput(CalendarFeedOutput):
    url = serializers.URLField(help_text="The secret subscription URL: shown once, give it to the calendar app")


def render_feed(feed: CalendarFeed) -> dict[str, Any]:
    zone_name = feed.clinic.time_zone
    return {
        "id": str(feed.pk),
        "clinic": str(feed.clinic_id),
        "practitioner": str(feed.practitioner_id),
        "time_zone": feed.clinic.time_zone,
        "live": feed.revoked_at is None,
        "created_at": in_zone(feed.created_at, zone_name),
        "revoked_at": in_zone(feed.revoked_at, zone_name),
        "last_used_at": in_zone(feed.last_used_at, zone_name),
    }


class CalendarFeedViewSet(ClinicScopedViewSet):
    """``calendar-feeds/``: a practitioner's own feeds, or any practitioner's for managers."""

    resource = "calendar_feeds"
    http_method_names = ["get", "post", "delete", "head", "options"]
    serializer_class = CalendarFeedOutput

    def get_base_queryset(self) -> Any:
        user = self.request.user
        managed = [clinic_id for clinic_id, role in clinic_roles(user).items() if role in MANAGERS]
        return CalendarFeed.objects.select_related("clinic").filter(
            Q(practitioner_id=user.pk) | Q(clinic_id__in=managed)
        )

    @extend_schema(parameters=[PractitionerFilter], responses=CalendarFeedOutput(many=True))
    def list(self, request: Request) -> Response:
        filters = self.list_filters(PractitionerFilter)
        queryset = narrowed(self.get_queryset(), filters, {"practitioner": "practitioner_id"})
        page = self.paginate_queryset(queryset.order_by("-created_at", "id"))
        return self.get_paginated_response([render_feed(feed) for feed in page or []])

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(render_feed(self.get_object()))

    @extend_schema(request=CalendarFeedInput, responses={201: CalendarFeedIssuedOutput})
    def create(self, request: Request) -> Response:
        """Issue a feed URL; if the practitioner already has one in this clinic, it is rotated (the old stops)."""
        data = CalendarFeedInput(data=request.data)
        data.is_valid(raise_exception=True)
        clinic, role = clinic_for_write(self, data.validated_data["clinic"])
        actor = request_user(request)
        feed, token = feed_services.calendar_feed_issue(
            actor=actor, role=role, clinic=clinic, practitioner_id=data.validated_data.get("practitioner") or actor.pk
        )
        body = {**render_feed(feed), "url": request.build_absolute_uri(reverse("calendar-feed-ics", args=[token]))}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CalendarFeedOutput})
    def destroy(self, request: Request, pk: str) -> Response:
        """Revoke: the URL stops working (the record stays, for the audit)."""
        feed = self.get_object()
        feed = feed_services.calendar_feed_revoke(
            actor=request_user(request), role=role_in(request, feed.clinic_id), feed=feed
        )
        return Response(render_feed(feed))


class CalendarFeedIcsView(APIView):
    """``feeds/{token}.ics``: the subscription itself. No header needed; unknown or revoked: 404."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    lookup_field = "token"  # the URL names the feed by its secret
    renderer_classes = [JSONRenderer, ICalendarRenderer]  # errors in JSON unless only calendars are accepted

    @extend_schema(
        auth=[],
        parameters=[
            OpenApiParameter("token", str, OpenApiParameter.PATH, pattern=URL_KEY_PATTERN, description="The secret")
        ],
        responses={
            (200, "text/calendar"): OpenApiTypes.STR,
            404: OpenApiResponse(description="Unknown, rotated or revoked feed"),
        },
    )
    def get(self, request: Request, token: str) -> HttpResponse:
        feed = None
        if re.fullmatch(URL_KEY_PATTERN, token):
            feed = selectors.live_feed_by_token(token_hash=feed_services.feed_token_hash(token))
        if feed is None:
            raise NotFoundError("No such calendar feed.")
        now = timezone.now()
        appointments = selectors.feed_appointments(
            feed=feed,
            start_from=now - timedelta(days=FEED_DAYS_BACK),
            start_before=now + timedelta(days=FEED_DAYS_AHEAD),
        )
        text = ical.appointments_calendar(
            appointments, name=f"{feed.clinic.name} appointments", host=request.get_host()
        )
        feed_services.calendar_feed_used(feed=feed, appointment_ids=[a.pk for a in appointments])
        response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="appointments.ics"'
        response["Cache-Control"] = "no-store"
        return response
