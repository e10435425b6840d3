from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "apps.visits"
    label = "visits"

    def ready(self) -> None:
        # Scheduling opens the visit record at check-in without importing visits.
        from apps.scheduling.hooks import register_hook
        from apps.visits.services import visit_open_at_check_in

        register_hook("check_in", visit_open_at_check_in)
