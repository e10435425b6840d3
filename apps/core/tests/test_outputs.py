"""Declared outputs (apps.core.outputs): rows, instances and DRF's own rendering agree, for every spec."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from rest_framework import serializers

from apps.billing.api.serializers import INVOICE_OUTPUT
from apps.core import converters
from apps.core.outputs import OutputSpec, computed, field
from apps.core.roles import Role
from apps.patients.models import Patient
from apps.patients.outputs import PATIENT_OUTPUT
from apps.patients.tests.factories import PatientFactory
from apps.scheduling.outputs import APPOINTMENT_OUTPUT


def a_patient(clinic):
    return PatientFactory(
        clinic=clinic,
        given_name="José",
        family_name="García",
        email="jose@example.test",
        phone="+4930123456",
        city="Berlin",
        active=False,
        archived_at=datetime.now(UTC),
    )


def an_appointment(clinic):
    from apps.scheduling.tests.factories import AppointmentFactory

    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    practitioner = clinic.staff[Role.PRACTITIONER]
    return AppointmentFactory(
        clinic=clinic, practitioner=practitioner, start=start, end=start + timedelta(minutes=30), reason="Check-up"
    )


def an_invoice(clinic):
    from apps.billing.selectors import invoice_queryset
    from apps.billing.services import LineInput
    from apps.billing.tests.factories import CatalogItemFactory, issued_invoice

    service = CatalogItemFactory(clinic=clinic, price=Decimal("12.50"), tax_rate=Decimal("7"))
    lines = [
        LineInput(service_id=service.pk, quantity=Decimal("3")),
        LineInput(
            description="Bandage", quantity=Decimal("0.3333"), unit_price=Decimal("4.99"), tax_rate=Decimal("19")
        ),
    ]
    invoice = issued_invoice(clinic, lines=lines)
    return invoice_queryset(type(invoice).objects.filter(pk=invoice.pk)).get()


# Every declared output, with a way to make a record of it: add yours here.
SPECS = [(PATIENT_OUTPUT, a_patient)]
# Specs with computed fields (which DRF's per-field machinery cannot write alone): instance checks only.
INSTANCE_SPECS = [*SPECS, (APPOINTMENT_OUTPUT, an_appointment), (INVOICE_OUTPUT, an_invoice)]


@pytest.mark.django_db
@pytest.mark.parametrize(("spec", "make"), SPECS, ids=[spec.name for spec, _ in SPECS])
def test_a_values_row_an_instance_and_drf_write_the_same_json(spec, make, clinic):
    record = make(clinic)
    record.refresh_from_db()
    # What DRF's per-field machinery writes from the schema serializer: the converters must agree.
    expected = serializers.ModelSerializer.to_representation(spec.serializer(), record)
    row = spec.model.objects.filter(pk=record.pk).values(*spec.columns).get()
    assert spec.render(row) == expected
    assert spec.render_instance(record) == expected
    assert spec.render_many([row]) == [expected]
    assert spec.serializer(record).data == expected
    assert list(expected) == [f.name for f in spec.fields]  # the declared order is the JSON's


@pytest.mark.django_db
@pytest.mark.parametrize(("spec", "make"), INSTANCE_SPECS, ids=[spec.name for spec, _ in INSTANCE_SPECS])
def test_each_field_is_written_as_its_documented_drf_field_writes_it(spec, make, clinic):
    record = make(clinic)
    out = spec.render_instance(record)
    assert list(out) == [f.name for f in spec.fields]
    fields = spec.serializer().fields
    assert list(fields) == list(out)
    for f in spec.fields:
        drf = fields[f.name]
        if f.compute is None:
            value = drf.get_attribute(record)  # DRF writes None as null without asking the field
            assert out[f.name] == (None if value is None else drf.to_representation(value)), f.name
        elif f.name == "lines":
            assert out["lines"] == [dict(line) for line in drf.to_representation(record.lines)]
    assert spec.serializer(record).data == out


def test_the_schema_serializer_documents_every_declared_field_and_only_those():
    fields = PATIENT_OUTPUT.serializer().fields
    assert list(fields) == [f.name for f in PATIENT_OUTPUT.fields]
    assert fields["clinic"].source == "clinic_id"
    assert PATIENT_OUTPUT.serializer.__name__ == "PatientOutput"
    assert "clinic_id" in PATIENT_OUTPUT.columns
    assert "clinic" not in PATIENT_OUTPUT.columns


def test_a_computed_field_reads_several_columns_of_the_row_or_the_instance():
    spec = OutputSpec(
        "Labelled",
        model=Patient,
        fields=[
            field("mrn"),
            computed(
                "label",
                lambda row: f"{row['mrn']} ({row['country'] or '-'})",
                needs=("mrn", "country"),
                schema=serializers.CharField(),
            ),
        ],
    )
    assert spec.columns == ("mrn", "country")
    assert spec.render({"mrn": "P1", "country": "DE"}) == {"mrn": "P1", "label": "P1 (DE)"}
    assert spec.render_many([{"mrn": "P2", "country": ""}]) == [{"mrn": "P2", "label": "P2 (-)"}]
    assert spec.render_instance(Patient(mrn="P3", country="US")) == {"mrn": "P3", "label": "P3 (US)"}
    assert list(spec.serializer().fields) == ["mrn", "label"]


def test_a_field_declared_twice_or_renamed_without_a_schema_is_refused():
    with pytest.raises(AssertionError):
        OutputSpec("Twice", model=Patient, fields=[field("mrn"), field("mrn")])
    renamed = OutputSpec("Renamed", model=Patient, fields=[field("number", column="mrn")])
    with pytest.raises(AssertionError):
        _ = renamed.serializer


def test_converters_write_what_drf_writes():
    instant = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert converters.as_instant(instant) == serializers.DateTimeField().to_representation(instant)
    assert converters.as_instant(instant.astimezone(timezone(timedelta(hours=2)))) == "2026-03-01T12:30:00Z"
    assert converters.as_instant(None) is None
    assert converters.as_date(date(1980, 1, 2)) == "1980-01-02"
    assert converters.as_date(None) is None
    assert converters.as_id(None) is None
    money = converters.as_decimal(2)
    assert money(Decimal("3.5")) == serializers.DecimalField(max_digits=10, decimal_places=2).to_representation(
        Decimal("3.5")
    )
