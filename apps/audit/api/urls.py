from rest_framework.routers import SimpleRouter

from apps.audit.api.views import AuditCheckpointViewSet, AuditEventViewSet

router = SimpleRouter(use_regex_path=False)
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("audit-checkpoints", AuditCheckpointViewSet, basename="audit-checkpoint")

urlpatterns = router.urls
