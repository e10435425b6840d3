from rest_framework.routers import SimpleRouter

from apps.patients.api.views import PatientExportViewSet, PatientViewSet

router = SimpleRouter(use_regex_path=False)
router.register("patients/exports", PatientExportViewSet, basename="patient-export")
router.register("patients", PatientViewSet, basename="patient")

urlpatterns = router.urls
