from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "apps.clinics"
    label = "clinics"

    def ready(self) -> None:
        from apps.clinics.selectors import clinic_role_rows
        from apps.core.demo import register_demo_step
        from apps.core.tenancy import register_clinic_roles_loader

        # Core's tenancy reads memberships through this, so it never imports clinics.
        register_clinic_roles_loader(clinic_role_rows)
        register_demo_step("apps.clinics.demo.demo_step", order=10)
