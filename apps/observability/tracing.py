"""OpenTelemetry traces: Django requests, psycopg statements, Celery tasks, Redis commands.

On when OTEL_EXPORTER_OTLP_ENDPOINT is set; the exporter reads the standard
OTEL_EXPORTER_OTLP_* variables (headers, protocol, timeout) itself. The
packages are in requirements/tracing.txt: an image built without them logs
once that tracing is unavailable and serves on.

Span attributes follow the instrumentations' defaults: URL paths with ids
(no query strings: OTEL_INSTRUMENTATION_HTTP_CAPTURE_* stays unset), SQL
statements with placeholders, never parameters.
"""

import logging
from typing import Any

from django.conf import settings

logger = logging.getLogger("clinicops.tracing")

_provider: Any = None


def configure(*, exporter: Any = None) -> Any:
    """Sets up tracing once per process; returns the TracerProvider, or None when off.

    ``exporter`` replaces the OTLP exporter (tests pass an in-memory one; spans
    are then exported synchronously).
    """
    global _provider
    if _provider is not None:
        return _provider
    if exporter is None and not settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        return None
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        logger.warning("tracing requested but the OpenTelemetry packages are not installed (requirements/tracing.txt)")
        return None

    provider = TracerProvider(resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _instrument(provider)
    _provider = provider
    return provider


def _instrument(provider: Any) -> None:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    DjangoInstrumentor().instrument(tracer_provider=provider)
    PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
    RedisInstrumentor().instrument(tracer_provider=provider)
    CeleryInstrumentor().instrument(tracer_provider=provider)


def shutdown() -> None:
    """Removes the instrumentations and flushes spans (tests; a process exit does this itself)."""
    global _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (DjangoInstrumentor(), PsycopgInstrumentor(), RedisInstrumentor(), CeleryInstrumentor()):
        instrumentor.uninstrument()
    _provider.shutdown()
    _provider = None
