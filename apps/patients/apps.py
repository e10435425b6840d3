from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "apps.patients"
    label = "patients"

    def ready(self) -> None:
        from apps.core.demo import register_demo_step

        register_demo_step("apps.patients.demo.demo_step", order=20)
