"""Billing API: catalog, invoices (issue, void, re-issue, PDF), payments with idempotency keys, refunds, reports."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.authentication import request_user
from apps.audit.record import audit_record
from apps.billing import catalog, idempotency, payments, selectors, services
from apps.billing.api.serializers import (
    INVOICE_OUTPUT,
    CatalogListFilter,
    InvoiceCreateInput,
    InvoiceIssueInput,
    InvoiceListFilter,
    InvoiceOutput,
    InvoiceUpdateInput,
    InvoiceVoidInput,
    PaymentInput,
    PaymentListFilter,
    PaymentOutput,
    PaymentReceiptOutput,
    RefundInput,
    RefundReceiptOutput,
    ServiceCreateInput,
    ServiceOutput,
    ServiceUpdateInput,
)
from apps.billing.events import BillingEvent
from apps.billing.models import CatalogItem, Invoice, Payment
from apps.clinics.models import Clinic
from apps.core.roles import CREATE, READ
from apps.core.viewsets import ClinicScopedViewSet, ListRoute, RetrieveRoute

IDEMPOTENCY_HEADER = OpenApiParameter(
    idempotency.HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description="A unique value per intended payment; a retry with the same key and body replays the first answer.",
)
OPTIONAL_IDEMPOTENCY_HEADER = OpenApiParameter(
    idempotency.HEADER, str, location=OpenApiParameter.HEADER, required=False, description="As for payments."
)


class PdfRenderer(renderers.BaseRenderer):
    """Lets ``Accept: application/pdf`` through content negotiation; the view returns the bytes itself."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else renderers.JSONRenderer().render(data)


def _clinic_for_create(view: ClinicScopedViewSet, clinic_id: Any) -> Clinic:
    """The clinic named in a create's body; a clinic the caller is not in is a 400 on ``clinic``."""
    view.require_clinic_for_write(clinic_id)
    return Clinic.objects.get(pk=clinic_id)


def _line_inputs(raw: list[dict[str, Any]]) -> list[services.LineInput]:
    return [
        services.LineInput(
            service_id=line["service"],
            description=line["description"],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            tax_rate=line["tax_rate"],
        )
        for line in raw
    ]


def _idempotent(request: Request, *, clinic_id: Any, key: str | None, perform: Any) -> Response:
    """Run ``perform`` once per Idempotency-Key (replaying the first answer), or plainly without a key."""
    if key is None:
        status_code, body = perform()
        return Response(body, status=status_code)
    result = idempotency.idempotent_call(
        actor=request_user(request),
        clinic_id=clinic_id,
        key=key,
        fingerprint=idempotency.request_fingerprint(method=request.method or "", path=request.path, body=request.data),
        perform=perform,
    )
    response = Response(result.body, status=result.status)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class ServiceViewSet(ClinicScopedViewSet):
    """A clinic's catalog (CatalogItem). Entries are deactivated (``active: false``), never deleted."""

    resource = "services"
    http_method_names = ["get", "post", "patch", "head", "options"]
    list_route = ListRoute(filters=CatalogListFilter, select=selectors.catalog_list, output=ServiceOutput)
    retrieve_route = RetrieveRoute(output=ServiceOutput)

    def get_base_queryset(self) -> Any:
        return CatalogItem.objects.all()

    @extend_schema(request=ServiceCreateInput, responses={201: ServiceOutput})
    def create(self, request: Request) -> Response:
        data = ServiceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic = _clinic_for_create(self, fields.pop("clinic"))
        service = catalog.catalog_item_create(actor=request_user(request), clinic=clinic, data=fields)
        return Response(ServiceOutput(service).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceUpdateInput, responses=ServiceOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        service = self.get_object()
        data = ServiceUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        service = catalog.catalog_item_update(actor=request_user(request), service=service, changes=data.validated_data)
        return Response(ServiceOutput(service).data)


class InvoiceViewSet(ClinicScopedViewSet):
    """Invoices: drafts are edited freely, issued ones are immutable (409); void and re-issue correct them."""

    resource = "invoices"
    action_permissions = {
        "create": CREATE,
        # The service narrows these to the caller's own drafts unless they may write any invoice.
        "partial_update": "write_own_draft",
        "destroy": "write_own_draft",
        "issue": "issue",
        "void": "void",
        "reissue": "reissue",
        "payments": READ,
        "payment_create": "take_payment",
        "pdf": READ,
    }
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    list_route = ListRoute(filters=InvoiceListFilter, select=selectors.invoice_list, output=INVOICE_OUTPUT)
    retrieve_route = RetrieveRoute(output=INVOICE_OUTPUT, select=selectors.invoice_read)

    def get_base_queryset(self) -> Any:
        return selectors.invoice_queryset(Invoice.objects.all())

    def _output(self, invoice: Invoice) -> dict[str, Any]:
        return InvoiceOutput(invoice).data  # its lines in one query

    @extend_schema(request=InvoiceCreateInput, responses={201: InvoiceOutput})
    def create(self, request: Request) -> Response:
        data = InvoiceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        clinic = _clinic_for_create(self, fields.pop("clinic"))
        invoice = services.invoice_create(
            actor=request_user(request),
            clinic=clinic,
            patient_id=fields.pop("patient"),
            lines=_line_inputs(fields.pop("lines", [])),
            **fields,
        )
        return Response(self._output(invoice), status=status.HTTP_201_CREATED)

    @extend_schema(request=InvoiceUpdateInput, responses={200: InvoiceOutput})
    def partial_update(self, request: Request, pk: str) -> Response:
        invoice = self.get_object()
        data = InvoiceUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "lines" in changes:
            changes["lines"] = _line_inputs(changes["lines"])
        invoice = services.invoice_update(actor=request_user(request), invoice=invoice, changes=changes)
        return Response(self._output(invoice))

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Delete a draft (it has no number yet). Issued invoices are voided instead (409 here)."""
        services.invoice_delete_draft(actor=request_user(request), invoice=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=InvoiceIssueInput, responses={200: InvoiceOutput})
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str) -> Response:
        """Give the draft its gapless number and freeze it."""
        invoice = self.get_object()
        data = InvoiceIssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_issue(
            actor=request_user(request), invoice=invoice, due_date=data.validated_data.get("due_date")
        )
        return Response(self._output(invoice))

    @extend_schema(request=InvoiceVoidInput, responses={200: InvoiceOutput})
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: str) -> Response:
        """Cancel an issued invoice with a reason; it keeps its number."""
        invoice = self.get_object()
        data = InvoiceVoidInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_void(
            actor=request_user(request), invoice=invoice, reason=data.validated_data["reason"]
        )
        return Response(self._output(invoice))

    @extend_schema(request=None, responses={201: InvoiceOutput})
    @action(detail=True, methods=["post"])
    def reissue(self, request: Request, pk: str) -> Response:
        """A new draft copied from this void invoice, to correct and issue under a new number."""
        copy = services.invoice_reissue(actor=request_user(request), invoice=self.get_object())
        return Response(self._output(copy), status=status.HTTP_201_CREATED)

    @extend_schema(responses=PaymentOutput(many=True))
    @action(detail=True, methods=["get"])
    def payments(self, request: Request, pk: str) -> Response:
        """The invoice's payments and their refunds."""
        invoice = self.get_object()
        # Scoped as every list is (Payment.objects.visible_to), to the invoice's clinic found above.
        page = selectors.payment_list(
            access=self.access,
            filters={"invoice": invoice.pk},
            paginate=lambda rows: self.paginate_queryset(rows) or [],
        )
        return self.get_paginated_response(PaymentOutput(page, many=True).data)

    @extend_schema(
        request=PaymentInput,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: PaymentReceiptOutput,
            409: OpenApiResponse(description="overpayment, invoice_not_issued, invoice_void"),
            422: OpenApiResponse(description="idempotency_key_reused"),
        },
    )
    @payments.mapping.post
    def payment_create(self, request: Request, pk: str) -> Response:
        """Take a payment. Needs an Idempotency-Key; more than the balance is refused."""
        invoice = self.get_object()
        key = idempotency.validate_key(request.headers.get(idempotency.HEADER))
        data = PaymentInput(data=request.data)
        data.is_valid(raise_exception=True)

        def perform() -> tuple[int, Any]:
            payment = payments.payment_record(actor=request_user(request), invoice=invoice, **data.validated_data)
            return status.HTTP_201_CREATED, PaymentReceiptOutput(payment).data

        return _idempotent(request, clinic_id=invoice.clinic_id, key=key, perform=perform)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PdfRenderer])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        """The invoice as a PDF (clinic, patient, lines, taxes, totals, payments). The read is audited."""
        invoice = selectors.invoice_for_document(invoice_id=self.get_object().pk)
        # Imported here: fpdf2 with fontTools and Pillow is ~30 MB per web worker, for a rare request.
        from apps.billing.pdf import invoice_pdf

        content = invoice_pdf(invoice)
        audit_record(actor=request_user(request), obj=invoice, event=BillingEvent.INVOICE_PDF)
        response = HttpResponse(content, content_type="application/pdf")
        name = invoice.number or f"draft-{invoice.pk}"
        response["Content-Disposition"] = f'inline; filename="invoice-{name}.pdf"'
        return response


class PaymentViewSet(ClinicScopedViewSet):
    """Payments (taken at invoices/{id}/payments/) and their refunds."""

    resource = "payments"
    action_permissions = {"refunds": "refund"}
    http_method_names = ["get", "post", "head", "options"]
    list_route = ListRoute(filters=PaymentListFilter, select=selectors.payment_list, output=PaymentOutput)
    retrieve_route = RetrieveRoute(output=PaymentOutput)  # one query more for its refunds

    def get_base_queryset(self) -> Any:
        return Payment.objects.all()

    @extend_schema(
        request=RefundInput,
        parameters=[OPTIONAL_IDEMPOTENCY_HEADER],
        responses={201: RefundReceiptOutput, 409: OpenApiResponse(description="refund_exceeds_payment")},
    )
    @action(detail=True, methods=["post"])
    def refunds(self, request: Request, pk: str) -> Response:
        """Refund part or all of a payment, never more than is left of it. An Idempotency-Key is honoured."""
        payment = self.get_object()
        raw_key = request.headers.get(idempotency.HEADER)
        key = None if raw_key is None else idempotency.validate_key(raw_key)
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)

        def perform() -> tuple[int, Any]:
            refund = payments.refund_record(actor=request_user(request), payment=payment, **data.validated_data)
            return status.HTTP_201_CREATED, RefundReceiptOutput(refund).data

        return _idempotent(request, clinic_id=payment.clinic_id, key=key, perform=perform)
