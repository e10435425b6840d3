"""CORS: only origins on the allow-list get the headers a browser needs; none by default."""

import pytest

pytestmark = pytest.mark.django_db

ALLOWED = "https://app.clinic.example"


def preflight(api, origin: str):
    return api.options(
        "/api/v1/patients/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_no_origin_is_allowed_by_default(api, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = preflight(api, ALLOWED)
    assert "Access-Control-Allow-Origin" not in response


def test_a_preflight_from_an_allowed_origin_is_answered(api, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    response = preflight(api, ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_a_preflight_from_another_origin_gets_no_cors_headers(api, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    response = preflight(api, "https://evil.example")
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response


def test_an_allowed_origin_can_read_the_request_id_of_an_answer(api, settings, as_user, clinic):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    response = as_user(clinic.staff["owner"]).get("/api/v1/clinics/", HTTP_ORIGIN=ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]


def test_cors_applies_to_the_api_only(api, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    response = api.options("/admin/login/", HTTP_ORIGIN=ALLOWED, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in response
