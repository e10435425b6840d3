from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "apps.observability"
    label = "observability"

    def ready(self) -> None:
        # Traces need Django's middleware and the database driver patched
        # before the first request. Celery workers run this too (Celery's
        # Django fixup calls django.setup()); the SDK's batch exporter
        # restarts its thread in forked pool children by itself.
        from apps.observability import sentry, tracing

        sentry.init_sentry()
        tracing.configure()
