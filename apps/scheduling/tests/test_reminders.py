"""Reminders: once per appointment and channel over repeated, concurrent and crashed runs."""

import logging
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.models import AppointmentStatus, Notification, ReminderPreference, SchedulingSettings
from apps.scheduling.reminders import MAX_ATTEMPTS
from apps.scheduling.tasks import send_due_reminders
from apps.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def due(clinic, *, hours=3, **fields):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)
    fields.setdefault("patient", PatientFactory(clinic=clinic, email="pat@example.test", phone="+4930555000"))
    fields.setdefault("practitioner", clinic.staff[Role.PRACTITIONER])
    return AppointmentFactory(clinic=clinic, start=start, **fields)


def test_a_due_reminder_goes_out_once_per_channel_over_two_beat_runs(clinic, sms_outbox):
    clinic.time_zone = "America/New_York"
    clinic.save()
    appointment = due(clinic)
    first = send_due_reminders.delay().get()
    second = send_due_reminders.delay().get()
    assert first == {"planned": 2, "sent": 2, "failed": 0}
    assert second == {"planned": 0, "sent": 0, "failed": 0}
    assert [m.to for m in mail.outbox] == [["pat@example.test"]]
    assert [to for to, _ in sms_outbox] == ["+4930555000"]
    rows = Notification.objects.order_by("channel")
    assert [(n.channel, n.status, n.attempts, n.recipient) for n in rows] == [
        ("email", "sent", 1, "pat@example.test"),
        ("sms", "sent", 1, "+4930555000"),
    ]
    # The time is the clinic's local time, with its zone.
    local = appointment.start.astimezone(ZoneInfo("America/New_York"))
    expected = f"at {local:%H:%M} ({local.tzname()})"
    assert expected in mail.outbox[0].body
    assert expected in sms_outbox[0][1]
    assert local.tzname() in ("EST", "EDT")
    assert appointment.patient.family_name not in mail.outbox[0].body


def test_only_booked_appointments_inside_the_window_are_reminded(clinic, sms_outbox):
    due(clinic, hours=30)  # beyond the default 24 h
    due(clinic, hours=-2)  # already started
    due(clinic, hours=4, status=AppointmentStatus.CANCELLED)
    due(clinic, hours=5, status=AppointmentStatus.CHECKED_IN)
    assert send_due_reminders.delay().get()["planned"] == 0
    # A clinic may widen its window.
    SchedulingSettings.objects.create(clinic=clinic, reminder_window_hours=48)
    assert send_due_reminders.delay().get() == {"planned": 2, "sent": 2, "failed": 0}


def test_a_window_of_one_clinic_does_not_change_anothers(clinic, other_clinic, sms_outbox):
    SchedulingSettings.objects.create(clinic=other_clinic, reminder_window_hours=2)
    due(clinic, hours=20)
    due(other_clinic, hours=20)
    assert send_due_reminders.delay().get()["planned"] == 2  # clinic's, on both channels


def test_patients_who_opted_out_get_none(as_user, clinic, sms_outbox):
    appointment = due(clinic)
    client = as_user(clinic.staff[Role.RECEPTIONIST])
    response = client.post(
        reverse("reminder-preference-list"), {"patient": str(appointment.patient_id), "opted_out": True}
    )
    assert response.status_code == 200, response.data
    assert send_due_reminders.delay().get()["planned"] == 0
    assert not Notification.objects.exists()
    assert (mail.outbox, sms_outbox) == ([], [])


def test_opting_out_after_planning_still_stops_the_message(clinic, sms_outbox):
    from apps.scheduling.reminders import reminder_deliver, reminders_plan

    appointment = due(clinic)
    now = timezone.now()
    assert reminders_plan(now=now) == 2
    ReminderPreference.objects.create(clinic=clinic, patient=appointment.patient, opted_out=True)
    for notification in Notification.objects.all():
        assert reminder_deliver(notification_id=notification.pk, now=now) is None
    assert (mail.outbox, sms_outbox) == ([], [])


def test_patients_without_contact_details_get_none_on_that_channel(clinic, sms_outbox):
    due(clinic, patient=PatientFactory(clinic=clinic, email="", phone="+4930555001"))
    assert send_due_reminders.delay().get() == {"planned": 1, "sent": 1, "failed": 0}
    assert mail.outbox == []


class FlakySms:
    failures = 0

    def send(self, to, body, *, reference):
        if FlakySms.failures:
            FlakySms.failures -= 1
            raise ConnectionError("gateway down")


def test_a_failed_send_is_recorded_and_retried_by_later_runs_up_to_a_limit(clinic, settings):
    settings.SMS_BACKEND = f"{__name__}.FlakySms"
    due(clinic, patient=PatientFactory(clinic=clinic, email="", phone="+4930555002"))
    FlakySms.failures = 1
    assert send_due_reminders.delay().get() == {"planned": 1, "sent": 0, "failed": 1}
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts, notification.error) == ("failed", 1, "ConnectionError")
    assert send_due_reminders.delay().get() == {"planned": 0, "sent": 1, "failed": 0}
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.error) == ("sent", 2, "")

    due(clinic, hours=5, patient=PatientFactory(clinic=clinic, email="", phone="+4930555003"))
    FlakySms.failures = 100
    for _ in range(MAX_ATTEMPTS + 2):
        send_due_reminders.delay().get()
    stuck = Notification.objects.exclude(pk=notification.pk).get()
    assert (stuck.status, stuck.attempts) == ("failed", MAX_ATTEMPTS)


def test_the_logging_sms_backend_logs_neither_number_nor_text(clinic, settings, caplog):
    settings.SMS_BACKEND = "apps.scheduling.sms.LoggingSmsBackend"
    appointment = due(clinic, patient=PatientFactory(clinic=clinic, email="", phone="+4930555004", family_name="Zyx"))
    with caplog.at_level(logging.INFO, logger="clinicops"):
        send_due_reminders.delay().get()
    records = [r for r in caplog.records if r.name == "clinicops.sms"]
    assert len(records) == 1
    text = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "+4930555004" not in text
    assert "555004" not in text
    assert "Zyx" not in text
    assert appointment.clinic.name not in text  # the message body is not logged either


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_send_each_reminder_once(clinic, sms_outbox):
    for n in range(12):
        due(clinic, hours=2 + n, patient=PatientFactory(clinic=clinic, email="", phone=f"+49305559{n:03d}"))

    def run(_):
        try:
            return send_due_reminders()["sent"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        sent = list(pool.map(run, range(4)))
    assert sum(sent) == 12
    assert sorted(to for to, _ in sms_outbox) == sorted(f"+49305559{n:03d}" for n in range(12))
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_a_worker_killed_mid_send_leaves_the_reminder_to_be_sent_once(celery_worker_factory, clinic, tmp_path):
    """SIGKILL the pool process while it holds the claim: the task is redelivered and sends exactly once."""
    (tmp_path / "hang-once").touch()
    queue = celery_worker_factory(
        {
            "SMS_BACKEND": "apps.scheduling.tests.crash_backend.CrashOnceSmsBackend",
            "SCHEDULING_TEST_SMS_DIR": str(tmp_path),
        }
    )
    due(clinic, patient=PatientFactory(clinic=clinic, email="", phone="+4930555010"))

    def wait_for(predicate, what, seconds=60):
        deadline = time.monotonic() + seconds
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.2)

    send_due_reminders.apply_async(queue=queue)
    wait_for(lambda: (tmp_path / "pid").exists() and (tmp_path / "pid").read_text(), "the send to hang")
    pool_pid = int((tmp_path / "pid").read_text())
    notification = Notification.objects.get()
    assert notification.status == "queued"  # the claim and its marker are not committed yet
    os.kill(pool_pid, signal.SIGKILL)

    sent_log = tmp_path / "sent.log"
    wait_for(lambda: sent_log.exists() and sent_log.read_text(), "the redelivered task to send")
    wait_for(lambda: Notification.objects.get().status == "sent", "the sent-marker")
    # A later Beat run finds nothing to send.
    assert send_due_reminders.apply_async(queue=queue).get(timeout=30) == {"planned": 0, "sent": 0, "failed": 0}
    assert Path(sent_log).read_text().splitlines() == [str(notification.pk)]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
