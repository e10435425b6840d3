"""The Prometheus scrape endpoint, behind a bearer token."""

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from apps.core.errors import error_body
from apps.observability import metrics


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Every metric in Prometheus' text format.

    404 while METRICS_TOKEN is unset (nothing is exposed, not even that the
    endpoint exists); 401 without a bearer token, 403 with a wrong one.
    """
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    given = bearer_token(request)
    if not given:
        response = JsonResponse(error_body("not_authenticated", "A bearer token is required."), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return JsonResponse(error_body("permission_denied", "The token is not valid for metrics."), status=403)
    return HttpResponse(metrics.scrape(), content_type=CONTENT_TYPE_LATEST)
