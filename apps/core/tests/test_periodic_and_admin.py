import pytest
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from apps.accounts.models import User
from apps.core.demo import DEMO_PASSWORD


@pytest.mark.django_db
def test_setup_periodic_tasks_is_idempotent():
    call_command("setup_periodic_tasks")
    call_command("setup_periodic_tasks")
    tasks = PeriodicTask.objects.filter(name__in=settings.PERIODIC_TASKS)
    assert tasks.count() == len(settings.PERIODIC_TASKS)
    for task in tasks:
        assert task.task == settings.PERIODIC_TASKS[task.name]["task"]
        assert task.enabled


def test_every_periodic_task_is_a_registered_celery_task():
    from config.celery import app

    app.loader.import_default_modules()
    for spec in settings.PERIODIC_TASKS.values():
        assert spec["task"] in app.tasks


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_every_login_works(api):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.count() == 11
    for user in User.objects.all():
        response = api.post("/api/v1/auth/token/", {"email": user.email, "password": DEMO_PASSWORD}, format="json")
        assert response.status_code == 200, user.email


@pytest.mark.django_db
def test_admin_changelists_open_for_a_superuser(client, clinic):
    admin = User.objects.create_superuser("root@example.test", "a-long-enough-passphrase-9")
    client.force_login(admin)
    for url in (
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{admin.pk}/change/",
        "/admin/clinics/clinic/",
        f"/admin/clinics/clinic/{clinic.pk}/change/",
        "/admin/clinics/membership/",
        "/admin/audit/auditevent/",
        "/admin/accounts/loginattempt/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
