from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from apps.core.health import health_response, ready_response


@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """Database and Redis status: 200 or 503 naming what is down."""
    return health_response()


@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    """Liveness plus a worker answering and Beat fresh: 200 or 503 naming what failed."""
    return ready_response()
