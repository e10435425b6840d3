"""One error shape, request ids, pagination bounds and JSON logs without personal data."""

import json
import logging

import pytest
from django.test import override_settings
from django.urls import reverse

from apps.clinics.tests.factories import ClinicFactory, MembershipFactory
from apps.core.roles import Role

pytestmark = pytest.mark.django_db


def test_unknown_path_is_a_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@override_settings(DEBUG=False)
def test_an_unexpected_error_is_a_json_500_without_internals(api, make_user, monkeypatch, caplog):
    from apps.clinics.api import views

    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.selectors, "clinic_queryset", explode)
    api.force_authenticate(make_user())
    response = api.get(reverse("clinic-list"))
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "An unexpected error occurred.", "fields": {}}
    assert "secret internals" not in response.content.decode()


def test_request_id_is_echoed_or_generated(api):
    echoed = api.get("/health/", HTTP_X_REQUEST_ID="abc-123")
    assert echoed["X-Request-ID"] == "abc-123"
    generated = api.get("/api/v1/auth/me/")
    assert len(generated["X-Request-ID"]) == 32
    hostile = api.get("/api/v1/auth/me/", HTTP_X_REQUEST_ID="x" * 500 + "\n")
    assert hostile["X-Request-ID"] != "x" * 500 + "\n"


def test_page_size_has_a_hard_maximum(as_user, make_user, settings):
    user = make_user()
    for _ in range(settings.MAX_PAGE_SIZE + 5):
        MembershipFactory(user=user, clinic=ClinicFactory(), role=Role.OWNER)
    client = as_user(user)
    page = client.get(reverse("clinic-list"), {"page_size": 10_000})
    assert len(page.data["results"]) == settings.MAX_PAGE_SIZE
    assert page.data["next"] is not None
    second = client.get(page.data["next"])
    assert len(second.data["results"]) == 5
    assert second.data["next"] is None
    assert second.data["previous"] is not None
    assert client.get(reverse("clinic-list"), {"page": "zero"}).status_code == 400
    assert client.get(reverse("clinic-list"), {"page_size": "-1"}).status_code == 400


def test_unknown_clinic_filter_values(as_user, clinic, other_clinic):
    client = as_user(clinic.staff[Role.OWNER])
    assert client.get(reverse("audit-event-list"), {"clinic": "not-a-uuid"}).status_code == 400
    assert client.get(reverse("audit-event-list"), {"clinic": str(other_clinic.pk)}).status_code == 404


def test_logs_are_json_lines_with_request_context_and_no_query_string(api, make_user, capsys):
    from apps.core.logging import JsonFormatter, RequestContextFilter

    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("clinicops.request")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        user = make_user()
        api.force_authenticate(user)
        api.get("/api/v1/clinics/?search=Maria%20Lopez", HTTP_X_REQUEST_ID="req-42")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = next(line for line in lines if line["message"] == "request")
    assert access["request_id"] == "req-42"
    assert access["user_id"] == str(user.pk)
    assert access["path"] == "/api/v1/clinics/"
    assert access["status"] == 200
    assert "Maria" not in json.dumps(lines)
