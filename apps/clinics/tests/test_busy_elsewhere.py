"""A practitioner who works in two clinics: the second sees only "unavailable", never the first's appointments."""

import json

import pytest
from django.urls import reverse

from apps.clinics.tests.factories import MembershipFactory
from apps.core.roles import Role
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.tests.factories import days_ahead, local_at, open_all_week

pytestmark = pytest.mark.django_db


def test_busy_times_elsewhere_show_as_missing_slots_and_the_refusal_names_nothing_of_the_other_clinic(
    as_user, clinic, other_clinic
):
    shared = clinic.staff[Role.PRACTITIONER]
    MembershipFactory(clinic=other_clinic, user=shared, role=Role.PRACTITIONER)  # as if they accepted an invitation
    other_clinic.time_zone = clinic.time_zone
    other_clinic.save()
    for where in (clinic, other_clinic):
        open_all_week(where, shared)
    day = days_ahead(3)
    start, end = local_at(clinic, day, "10:00"), local_at(clinic, day, "10:30")
    here = PatientFactory(clinic=clinic, given_name="Private", family_name="Person")
    booked = as_user(clinic.staff[Role.RECEPTIONIST]).post(
        reverse("appointment-list"),
        {
            "clinic": str(clinic.pk),
            "patient": str(here.pk),
            "practitioner": str(shared.pk),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": "Sensitive reason",
        },
        format="json",
    )
    assert booked.status_code == 201, booked.data

    elsewhere = as_user(other_clinic.staff[Role.RECEPTIONIST])
    slots = elsewhere.get(
        reverse("slot-list"),
        {"clinic": str(other_clinic.pk), "practitioner": str(shared.pk), "date_from": str(day), "date_to": str(day)},
    )
    assert slots.status_code == 200
    starts = {slot["start"][11:16] for slot in slots.data["results"]}
    assert "10:00" not in starts  # unavailable there too: the database would refuse the booking
    assert {"09:30", "10:30"} <= starts
    text = json.dumps(slots.data)
    for secret in (str(booked.data["id"]), str(here.pk), "Private", "Sensitive", str(clinic.pk)):
        assert secret not in text

    refused = elsewhere.post(
        reverse("appointment-list"),
        {
            "clinic": str(other_clinic.pk),
            "patient": str(PatientFactory(clinic=other_clinic).pk),
            "practitioner": str(shared.pk),
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        format="json",
    )
    assert refused.status_code == 409
    assert refused.data["code"] == "slot_taken"
    body = json.dumps(refused.data)
    for secret in (str(booked.data["id"]), str(here.pk), "Private", "Sensitive", str(clinic.pk), clinic.name):
        assert secret not in body
