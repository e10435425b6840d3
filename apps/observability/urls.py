from django.urls import path

from apps.observability.views import metrics_view

urlpatterns = [path("metrics/", metrics_view, name="metrics")]
