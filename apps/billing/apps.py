from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"

    def ready(self) -> None:
        from apps.core.demo import register_demo_step

        register_demo_step("apps.billing.demo.demo_step", order=30)

        # Scheduling calls billing back on cancellation without importing it.
        from apps.billing.cancellation import void_draft_or_refuse
        from apps.scheduling.hooks import register_hook

        register_hook("cancel", void_draft_or_refuse)
