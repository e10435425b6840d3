from rest_framework.routers import SimpleRouter

from apps.billing.api.credit_views import CreditNoteViewSet
from apps.billing.api.report_views import ReportViewSet
from apps.billing.api.views import InvoiceViewSet, PaymentViewSet, ServiceViewSet

router = SimpleRouter(use_regex_path=False)
router.register("services", ServiceViewSet, basename="service")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payments", PaymentViewSet, basename="payment")
router.register("reports", ReportViewSet, basename="report")
router.register("credit-notes", CreditNoteViewSet, basename="credit-note")

urlpatterns = router.urls
