from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"

    def ready(self) -> None:
        from apps.core.demo import register_demo_step

        register_demo_step("apps.billing.demo.demo_step", order=30)
