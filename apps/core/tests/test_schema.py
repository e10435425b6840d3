"""The OpenAPI schema validates and the docs UI needs nothing from a CDN."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/auth/token/", "/api/v1/clinics/{id}/", "/api/v1/clinics/{clinic_pk}/members/"):
        assert path in text


@pytest.mark.django_db
def test_swagger_ui_loads_its_assets_locally(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html
    assert "unpkg" not in html
    assert "jsdelivr" not in html
