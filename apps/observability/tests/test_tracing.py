"""Traces: a request gives a Django span with a database span inside it (in-memory exporter)."""

import pytest
from django.db import connection
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from apps.observability import tracing
from apps.patients.tests.factories import PatientFactory

# Transactional: the test closes the connection so that a traced one replaces it.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    assert tracing.configure(exporter=exporter) is not None
    # Connections opened before instrumentation are not traced: start a new one.
    connection.close()
    try:
        yield exporter
    finally:
        tracing.shutdown()
        connection.close()


def test_tracing_is_off_without_an_endpoint(settings):
    settings.OTEL_EXPORTER_OTLP_ENDPOINT = ""
    assert tracing.configure() is None


def test_a_request_produces_a_django_span_and_a_database_span(spans, as_user, clinic):
    patient = PatientFactory(clinic=clinic)
    client = as_user(clinic.staff["owner"])  # issues a token: queries outside the request
    spans.clear()
    response = client.get(f"/api/v1/patients/{patient.pk}/?search=Someone")
    assert response.status_code == 200

    finished = spans.get_finished_spans()
    server = [span for span in finished if span.kind.name == "SERVER"]
    assert len(server) == 1
    request_span = server[0]
    assert request_span.name == "GET api/v1/patients/<uuid:pk>/"
    database = [span for span in finished if span.attributes.get("db.system") == "postgresql"]
    assert database, [span.name for span in finished]
    assert all(span.context.trace_id == request_span.context.trace_id for span in database)
    # Statements carry placeholders, never the values (the patient's id, the search term).
    for span in database:
        statement = str(span.attributes.get("db.statement", ""))
        assert str(patient.pk) not in statement
        assert "Someone" not in statement
