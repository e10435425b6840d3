"""URL map: the API under /api/v1/, docs, admin. /health/ is served by
apps.core.middleware.HealthCheckMiddleware (and routed here too for reverse())."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core.views import health, ready

api_v1 = [
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.clinics.api.urls")),
    path("", include("apps.audit.api.urls")),
    path("", include("apps.patients.api.urls")),
    path("", include("apps.billing.api.urls")),
    path("", include("apps.scheduling.api.urls")),
    path("", include("apps.visits.api.urls")),
    path("", include("apps.waitlist.api.urls")),
]

urlpatterns = [
    path("health/", health, name="health"),
    path("health/ready/", ready, name="health-ready"),
    path("", include("apps.observability.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path(settings.DJANGO_ADMIN_URL, admin.site.urls),
]

handler400 = "apps.core.errors.handler400"
handler403 = "apps.core.errors.handler403"
handler404 = "apps.core.errors.handler404"
handler500 = "apps.core.errors.handler500"
