from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from apps.core.health import health_response


@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """Database and Redis status: 200 or 503 naming what is down."""
    return health_response()
