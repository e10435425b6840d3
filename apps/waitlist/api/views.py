"""``waitlist/``: patients waiting for an earlier slot; ``waitlist-offers/``: the freed slots offered to them."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.clinics.models import Clinic
from apps.core.roles import READ, WRITE
from apps.core.viewsets import ClinicScopedViewSet, ListRoute, RetrieveRoute
from apps.waitlist import selectors, services
from apps.waitlist.api.serializers import (
    DayOutput,
    DayQuery,
    EntryCreateInput,
    EntryListFilter,
    EntryOutput,
    EntryUpdateInput,
    OfferOutput,
)
from apps.waitlist.models import WaitlistEntry, WaitlistOffer
from apps.waitlist.outputs import ENTRY_OUTPUT, OFFER_OUTPUT

CONFLICT = "409 `offer_not_pending` (confirmed, declined, withdrawn or expired), `offer_expired`; on confirm also "
CONFLICT += "`slot_taken` or `patient_busy` (the time was booked meanwhile): nothing is written."


class WaitlistEntryViewSet(ClinicScopedViewSet):
    """Waitlist entries: the front desk puts patients on it, changes and removes them; reads are audited."""

    resource = selectors.RESOURCE
    action_permissions = {"day": READ, "remove": WRITE}
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = WaitlistEntry.objects.select_related("clinic", "patient", "practitioner")
    list_route = ListRoute(
        filters=EntryListFilter,
        select=selectors.entry_list,
        output=ENTRY_OUTPUT,
        description="Waitlist entries of your clinics in the order they are offered slots (priority, then age).",
    )
    retrieve_route = RetrieveRoute(output=ENTRY_OUTPUT, select=selectors.entry_read, description="One entry.")

    def _answer(self, entry: WaitlistEntry, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(ENTRY_OUTPUT.render_instance(self.get_queryset().get(pk=entry.pk)), status=status_code)

    @extend_schema(
        request=EntryCreateInput,
        responses={201: EntryOutput, 409: OpenApiResponse(description="already_waiting")},
    )
    def create(self, request: Request) -> Response:
        """Put a patient on the waitlist, for one practitioner or any, over local dates with preferences."""
        data = EntryCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic_id, patient_id = fields.pop("clinic"), fields.pop("patient")
        access = self.clinic_for_write(clinic_id)
        entry = services.entry_create(
            actor=access.user, clinic=Clinic.objects.get(pk=clinic_id), patient_id=patient_id, data=fields
        )
        return self._answer(entry, status.HTTP_201_CREATED)

    @extend_schema(
        request=EntryUpdateInput,
        responses={200: EntryOutput, 409: OpenApiResponse(description="entry_not_waiting, already_waiting")},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a waiting entry's practitioner, dates, preferences, note or priority."""
        entry = self.get_object()
        data = EntryUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_update(actor=self.access.user, entry=entry, changes=dict(data.validated_data))
        return self._answer(entry)

    @extend_schema(request=None, responses={200: EntryOutput, 409: OpenApiResponse(description="entry_not_waiting")})
    @action(detail=True, methods=["post"])
    def remove(self, request: Request, pk: str) -> Response:
        """Take the patient off the waitlist; a pending offer is withdrawn and its slot offered to the next entry."""
        entry = services.entry_remove(actor=self.access.user, entry=self.get_object())
        return self._answer(entry)

    @extend_schema(parameters=[DayQuery], responses=DayOutput)
    @action(detail=False, methods=["get"], pagination_class=None)
    def day(self, request: Request) -> Response:
        """A clinic's local day for the front desk: who waits for it, in offer order, and the offers of its slots."""
        query = DayQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        clinic_id = self.requested_clinic()
        found = selectors.waitlist_day(
            access=self.access,
            clinic_id=clinic_id,
            day=query.validated_data["date"],
            practitioner_id=query.validated_data.get("practitioner"),
        )
        return Response(
            {
                "clinic": str(found.clinic.pk),
                "date": found.day.isoformat(),
                "time_zone": found.clinic.time_zone,
                "entries": found.entries,
                "offers": found.offers,
            }
        )


class WaitlistOfferViewSet(ClinicScopedViewSet):
    """Offers of freed slots; the front desk confirms (books) or declines them on the patient's behalf."""

    resource = selectors.RESOURCE
    action_permissions = {"confirm": WRITE, "decline": WRITE}
    http_method_names = ["get", "post", "head", "options"]
    queryset = WaitlistOffer.objects.select_related("clinic", "entry__patient", "practitioner")
    retrieve_route = RetrieveRoute(output=OFFER_OUTPUT, select=selectors.offer_read, description="One offer.")

    def _answer(self, offer: WaitlistOffer) -> Response:
        return Response(OFFER_OUTPUT.render_instance(self.get_queryset().get(pk=offer.pk)))

    @extend_schema(request=None, responses={200: OfferOutput, 409: OpenApiResponse(description=CONFLICT)})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """Book the offered slot for the patient (the first confirmation wins); the entry is then booked."""
        offer: Any = self.get_object()
        return self._answer(services.offer_confirm(actor=self.access.user, role=self.access.role, offer=offer))

    @extend_schema(request=None, responses={200: OfferOutput, 409: OpenApiResponse(description=CONFLICT)})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        """The patient does not take the slot: it is offered to the next entry; this entry keeps waiting."""
        return self._answer(services.offer_decline(actor=self.access.user, offer=self.get_object()))
