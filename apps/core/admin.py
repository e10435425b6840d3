"""The admin site's own look and the pieces every app's admin shares.

Staff use the admin for support; it holds patients' data, so it speaks the
clinic's time zone and currency, shows infrastructure only to superusers,
and lives at ``DJANGO_ADMIN_URL`` (config/urls.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule

from apps.core.currencies import MINOR_UNITS

admin.site.site_header = "ClinicOps"
admin.site.site_title = "ClinicOps admin"
admin.site.index_title = "Support and settings"


class SuperuserOnlyAdmin(admin.ModelAdmin[Any]):
    """Infrastructure tables (schedules, tokens, devices, login attempts): superusers only, not clinic staff."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request) and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and super().has_delete_permission(request, obj)


def superuser_only(model: type[Any], model_admin: type[admin.ModelAdmin[Any]] = admin.ModelAdmin) -> None:
    """Register (or re-register) ``model`` so that only superusers see it, keeping its admin's behaviour."""
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(f"{model.__name__}SuperuserAdmin", (SuperuserOnlyAdmin, model_admin), {}))


superuser_only(PeriodicTask, beat_admin.PeriodicTaskAdmin)
superuser_only(CrontabSchedule, beat_admin.CrontabScheduleAdmin)
superuser_only(IntervalSchedule, beat_admin.IntervalScheduleAdmin)
superuser_only(SolarSchedule, beat_admin.SolarScheduleAdmin)
superuser_only(ClockedSchedule, beat_admin.ClockedScheduleAdmin)


def local_time(moment: datetime | None, time_zone: str) -> str:
    """A stored UTC time as the clinic's wall-clock time, with the zone's abbreviation."""
    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def money(amount: Decimal | None, currency: str) -> str:
    """An amount at its currency's decimals (the column stores four), e.g. ``103.80 EUR``, ``1500 JPY``."""
    if amount is None:
        return "-"
    places = MINOR_UNITS.get(currency, 2)
    return f"{amount:.{places}f} {currency}"


@contextmanager
def clinic_time_zone(time_zone: str | None) -> Iterator[None]:
    """Show and read the admin's date/time widgets in the clinic's zone while a change form is built."""
    if not time_zone:
        yield
        return
    with timezone.override(ZoneInfo(time_zone)):
        yield
