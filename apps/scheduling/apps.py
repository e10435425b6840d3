from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "apps.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from apps.core.demo import register_demo_step

        register_demo_step("apps.scheduling.demo.demo_step", order=40)
