"""Observability: Prometheus metrics, Sentry error tracking, OpenTelemetry traces,
and the request id carried into Celery tasks. Each part is off until the
environment switches it on (docs/deploy.md, "Metrics", "Tracing", "Error tracking")."""
