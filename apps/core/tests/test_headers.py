"""Headers: nothing of the API is cached, the API's CSP allows nothing, /health/ carries the security headers."""

import pytest

pytestmark = pytest.mark.django_db

STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize("path", ["/api/v1/auth/me/", "/api/v1/patients/", "/api/v1/clinics/"])
def test_api_answers_with_phi_are_never_cached_and_allow_nothing(as_user, clinic, path):
    response = as_user(clinic.staff["owner"]).get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"] == STRICT_CSP
    assert response["X-Content-Type-Options"] == "nosniff"


def test_tokens_and_errors_are_not_cached_either(api, make_user):
    user = make_user(email="nurse@example.test")
    user.set_password("a-long-test-password-1")
    user.save()
    issued = api.post("/api/v1/auth/token/", {"email": user.email, "password": "a-long-test-password-1"}, format="json")
    assert issued.status_code == 200
    assert "access" in issued.json()
    assert issued["Cache-Control"] == "no-store"
    refused = api.get("/api/v1/patients/")
    assert refused.status_code == 401
    assert refused["Cache-Control"] == "no-store"
    assert refused["Content-Security-Policy"] == STRICT_CSP


def test_files_under_the_api_are_not_cached(as_user, clinic):
    from apps.billing.tests.factories import draft_invoice

    invoice = draft_invoice(clinic)
    response = as_user(clinic.staff["owner"]).get(f"/api/v1/invoices/{invoice.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"] == STRICT_CSP


def test_health_carries_the_security_headers(client):
    response = client.get("/health/")
    assert response.status_code in (200, 503)
    assert response["Content-Security-Policy"] == STRICT_CSP
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_health_over_https_carries_hsts_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    response = client.get("/health/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=3600")


def test_admin_and_docs_keep_the_admin_policy(client):
    for path in ("/admin/login/", "/api/docs/"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy, path
        assert "script-src 'self' 'unsafe-inline'" in policy, path
        assert "frame-ancestors 'none'" in policy, path
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs  # its assets come from 'self'


def test_the_schema_itself_is_served_under_the_strict_policy(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == STRICT_CSP
