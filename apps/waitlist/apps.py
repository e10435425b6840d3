from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "apps.waitlist"
    label = "waitlist"

    def ready(self) -> None:
        from apps.core.demo import register_demo_step

        register_demo_step("apps.waitlist.demo.demo_step", order=50)

        # Scheduling tells the waitlist about freed time without importing it (apps.scheduling.slot_hooks).
        from apps.scheduling.slot_hooks import register_slot_freed_hook
        from apps.waitlist.triggers import slot_freed

        register_slot_freed_hook(slot_freed)
