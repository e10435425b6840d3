"""The daily overdue job: marks issued invoices past due in each clinic's calendar, once."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.billing.models import Invoice
from apps.billing.overdue import invoices_mark_overdue
from apps.billing.payments import payment_record
from apps.billing.services import clinic_today, invoice_void
from apps.billing.tasks import mark_overdue_invoices
from apps.billing.tests.factories import draft_invoice, issued_invoice
from apps.core.roles import Role


def due(invoice, on):
    Invoice.objects.filter(pk=invoice.pk).update(due_date=on)
    invoice.refresh_from_db()
    return invoice


def overdue_ids():
    return set(Invoice.objects.filter(overdue_since__isnull=False).values_list("pk", flat=True))


@pytest.mark.django_db
def test_the_job_marks_only_issued_invoices_past_due_and_is_idempotent(as_user, clinic):
    today = clinic_today(clinic)
    yesterday = today - timedelta(days=1)
    late = due(issued_invoice(clinic), yesterday)
    due(issued_invoice(clinic), today)  # due today: not late yet
    due(issued_invoice(clinic), today + timedelta(days=1))
    paid = issued_invoice(clinic)
    payment_record(actor=clinic.staff[Role.BILLING], invoice=paid, amount=paid.total, method="cash")
    due(paid, yesterday)
    void = due(issued_invoice(clinic), yesterday)
    invoice_void(actor=clinic.staff[Role.BILLING], invoice=void, reason="x")
    draft = draft_invoice(clinic, due_date=yesterday)

    assert mark_overdue_invoices.delay().get() == 1
    assert overdue_ids() == {late.pk}
    late.refresh_from_db()
    assert late.overdue_since == today
    assert mark_overdue_invoices.delay().get() == 0  # a second run changes nothing
    assert overdue_ids() == {late.pk}
    assert AuditEvent.objects.filter(action="invoice.mark_overdue").count() == 1
    client = as_user(clinic.staff[Role.BILLING])
    assert client.get(reverse("invoice-detail", args=[late.pk])).data["overdue"] is True
    assert client.get(reverse("invoice-detail", args=[draft.pk])).data["overdue"] is False


@pytest.mark.django_db
def test_payments_clear_the_flag_only_when_the_invoice_is_covered(clinic):
    late = due(issued_invoice(clinic), clinic_today(clinic) - timedelta(days=3))
    invoices_mark_overdue()
    payment_record(actor=clinic.staff[Role.BILLING], invoice=late, amount=Decimal("40.00"), method="cash")
    late.refresh_from_db()
    assert late.overdue_since is not None
    payment_record(actor=clinic.staff[Role.BILLING], invoice=late, amount=Decimal("60.00"), method="cash")
    late.refresh_from_db()
    assert (late.status, late.overdue_since) == ("paid", None)
    assert invoices_mark_overdue() == 0


@pytest.mark.django_db
def test_each_clinic_is_judged_by_its_own_calendar(clinic, other_clinic):
    clinic.time_zone = "Pacific/Auckland"
    clinic.save()
    other_clinic.time_zone = "America/Los_Angeles"
    other_clinic.save()
    auckland = due(issued_invoice(clinic), date(2026, 3, 10))
    los_angeles = due(issued_invoice(other_clinic), date(2026, 3, 10))
    # 12:00 UTC is already 11 March in Auckland but still the morning of 10 March in Los Angeles.
    assert invoices_mark_overdue(now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC)) == 1
    assert overdue_ids() == {auckland.pk}
    auckland.refresh_from_db()
    assert auckland.overdue_since == date(2026, 3, 11)
    assert invoices_mark_overdue(now=datetime(2026, 3, 11, 12, 0, tzinfo=UTC)) == 1
    assert overdue_ids() == {auckland.pk, los_angeles.pk}


def test_the_job_is_on_the_daily_beat_schedule():
    specs = [spec for spec in settings.PERIODIC_TASKS.values() if spec["task"] == mark_overdue_invoices.name]
    assert len(specs) == 1
    crontab = specs[0]["crontab"]
    assert crontab["hour"].isdigit()
    assert crontab["minute"].isdigit()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_a_real_worker_runs_the_job(celery_worker_process, clinic):
    late = due(issued_invoice(clinic), clinic_today(clinic) - timedelta(days=2))
    assert mark_overdue_invoices.apply_async(queue=celery_worker_process).get(timeout=60) == 1
    assert mark_overdue_invoices.apply_async(queue=celery_worker_process).get(timeout=60) == 0
    assert overdue_ids() == {late.pk}
