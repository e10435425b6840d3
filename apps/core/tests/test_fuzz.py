"""A bounded fuzz of the live schema: no operation answers 5xx, or a status its operation does not document.

Schemathesis (as a library) reads /api/schema/ from the WSGI app itself, so it
fuzzes the schema as the code declares it now, and generates, for every
operation, requests that fit the schema (positive) and requests that break it
(negative), sent as the owner of a clinic with patients, appointments,
availability, services and invoices; detail routes get the ids of real
records, so bodies reach validation instead of stopping at 404.

Deterministic for CI: ``derandomize=True`` (the same examples every run), no
example database, no shrinking (a failure prints the request as generated).
FUZZ_EXAMPLES raises the examples per operation and mode for a deeper local
run (default 5: ~700 requests).
"""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework_simplejwt.tokens import RefreshToken

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
# Checks of schemathesis that judge the answer against the schema: no 5xx, documented status, media type, body.
CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance")


@pytest.fixture
def keep_test_connection():
    """What Django's test client does: a request's end must not close the test's database connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(clinic, keep_test_connection):
    """Real records of every kind in one clinic, and the ids the detail routes take."""
    from apps.billing.tests.factories import CatalogItemFactory, draft_invoice, issued_invoice
    from apps.core.roles import Role
    from apps.patients.tests.factories import PatientFactory
    from apps.scheduling.tests.factories import AppointmentFactory, AvailabilityFactory, open_all_week

    practitioner = clinic.staff[Role.PRACTITIONER]
    patients = [PatientFactory(clinic=clinic) for _ in range(3)]
    open_all_week(clinic, practitioner)
    appointment = AppointmentFactory(
        clinic=clinic, patient=patients[0], practitioner=practitioner, start=timezone.now() + timedelta(days=1)
    )
    availability = AvailabilityFactory(clinic=clinic, practitioner=practitioner, weekday=6)
    service = CatalogItemFactory(clinic=clinic)
    draft = draft_invoice(clinic, patient=patients[1])
    issued_invoice(clinic, patient=patients[2])
    ids = {
        "/api/v1/patients/": patients[0].pk,
        "/api/v1/appointments/": appointment.pk,
        "/api/v1/availability/": availability.pk,
        "/api/v1/services/": service.pk,
        "/api/v1/invoices/": draft.pk,
        "/api/v1/clinics/": clinic.pk,
    }
    return clinic, ids


def _path_parameters(path, clinic, ids):
    values = {"clinic_pk": str(clinic.pk)}
    for prefix, pk in ids.items():
        if path.startswith(prefix) and not path.startswith("/api/v1/patients/exports/"):
            values["id"] = str(pk)
    return {name: value for name, value in values.items() if "{" + name + "}" in path}


def test_the_live_schema_fuzzes_without_server_errors_or_undocumented_statuses(world):
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import CHECKS, load_all_checks

    from config.wsgi import application

    clinic, ids = world
    token = RefreshToken.for_user(clinic.staff["owner"]).access_token
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    load_all_checks()
    checks = CHECKS.get_by_names(list(CHECK_NAMES))
    failures: list[str] = []
    calls = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        path_parameters = _path_parameters(operation.path, clinic, ids)
        query_names = {p["name"] for p in operation.definition.raw.get("parameters", []) if p.get("in") == "query"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # Positive requests name the real clinic, so filters, slots and reports get past the lookup.
            query = {"clinic": str(clinic.pk)} if mode == GenerationMode.POSITIVE and "clinic" in query_names else None
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None, query=query)

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def fuzz(case):
                nonlocal calls
                calls += 1
                response = case.call(headers=headers)
                case.validate_response(response, checks=checks, headers=headers)

            try:
                fuzz()
            except Exception as exc:  # schemathesis' failure groups and hypothesis' errors alike
                failures.append(f"{operation.label} ({mode}): {str(exc)[:1500]}")

    assert calls > 50 * EXAMPLES, calls
    assert not failures, "\n\n".join(failures)
