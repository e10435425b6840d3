"""Credit notes API: issue against an invoice (full, by lines, by amount), list, read, PDF."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import renderers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.audit.record import audit_record
from apps.billing import credit_notes, selectors
from apps.billing.api.credit_serializers import CreditNoteCreateInput, CreditNoteListFilter, CreditNoteOutput
from apps.billing.api.views import PdfRenderer
from apps.billing.credit_models import CreditNote
from apps.billing.events import BillingEvent
from apps.billing.models import Invoice
from apps.core.roles import WRITE
from apps.core.tenancy import record_by_id
from apps.core.viewsets import ClinicScopedViewSet, ListRoute, RetrieveRoute


class CreditNoteViewSet(ClinicScopedViewSet):
    """Credit notes: issued on creation, with their own gapless numbers; never changed or deleted."""

    resource = "credit_notes"
    http_method_names = ["get", "post", "head", "options"]
    list_route = ListRoute(filters=CreditNoteListFilter, select=selectors.credit_note_list, output=CreditNoteOutput)
    retrieve_route = RetrieveRoute(output=CreditNoteOutput, select=selectors.credit_note_read)

    def get_base_queryset(self) -> Any:
        return selectors.credit_note_queryset(CreditNote.objects.all())

    @extend_schema(request=CreditNoteCreateInput, responses={201: CreditNoteOutput})
    def create(self, request: Request) -> Response:
        """Issue a credit note; a refund follows where the patient paid more than the invoice's new total."""
        data = CreditNoteCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        user = request_user(request)
        invoice = record_by_id(
            Invoice.objects.all(),
            self.access,
            fields["invoice"],
            resource=self.resource,
            action=WRITE,
            field="invoice",
            noun="invoice",
        )
        note = credit_notes.credit_note_issue(
            actor=user,
            invoice=invoice,
            reason=fields["reason"],
            kind=fields["kind"],
            lines=[
                credit_notes.CreditLineInput(line_id=i["line"], quantity=i["quantity"]) for i in fields.get("lines", [])
            ],
            amount=fields.get("amount"),
        )
        fresh = selectors.credit_note_queryset(CreditNote.objects.filter(pk=note.pk)).get()
        return Response(CreditNoteOutput(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PdfRenderer])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        """The credit note as a PDF (its invoice, the credited lines or amount). The read is audited."""
        note = self.get_object()
        from apps.billing.credit_pdf import credit_note_pdf  # fpdf2 only when a PDF is asked for

        content = credit_note_pdf(CreditNote.objects.select_related("invoice__patient", "clinic").get(pk=note.pk))
        audit_record(actor=request_user(request), obj=note, event=BillingEvent.CREDIT_NOTE_PDF)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="credit-note-{note.number}.pdf"'
        return response
