"""The schema keeps its promises: the contract plugin judges every answer, and the schema's shape is right."""

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory

from apps.core.tests.contract import ContractError, live_schema, validate_answer, validated_count


def _answer(response: HttpResponse, method: str, path: str) -> HttpResponse:
    response.wsgi_request = getattr(RequestFactory(), method.lower())(path)  # type: ignore[attr-defined]
    return response


@pytest.fixture(scope="module")
def schema():
    return live_schema()


def test_every_api_call_of_a_test_is_validated(as_user, clinic):
    before = validated_count()
    assert as_user(clinic.staff["owner"]).get("/api/v1/clinics/").status_code == 200
    assert validated_count() == before + 1


def test_a_body_that_breaks_its_schema_fails(db):
    drifted = _answer(JsonResponse({"results": [{"id": 7}], "next": None}), "GET", "/api/v1/clinics/")
    with pytest.raises(ContractError, match="previous"):
        validate_answer(drifted)


def test_an_undocumented_status_fails(db):
    teapot = _answer(JsonResponse({"code": "x", "message": "x", "fields": {}}, status=418), "GET", "/api/v1/clinics/")
    with pytest.raises(ContractError, match="418"):
        validate_answer(teapot)


def test_an_error_body_outside_the_error_shape_fails(db):
    bare = _answer(
        JsonResponse({"detail": "Not found."}, status=404),
        "GET",
        "/api/v1/clinics/00000000-0000-0000-0000-000000000000/",
    )
    with pytest.raises(ContractError):
        validate_answer(bare)


def test_paths_outside_the_schema_are_not_judged(db):
    assert validate_answer(_answer(JsonResponse({}, status=404), "GET", "/api/v1/no-such-route/")) is False
    assert validate_answer(_answer(HttpResponse("ok"), "GET", "/admin/")) is False


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_operation_documents_the_error_shape_and_its_statuses(schema):
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        assert {"400", "401", "429"} <= set(responses), (method, path)
        if "requestBody" in operation:
            assert {"413", "415"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        for code, response in responses.items():
            if code >= "400":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                error = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
                assert {"code", "message", "fields"} <= set(error["required"]), (method, path, code)
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "fields", "message"]


def test_operation_ids_are_clean_and_unique(schema):
    ids = [operation["operationId"] for _, _, operation in _operations(schema)]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert operation_id.replace("_", "").isalnum(), operation_id


def test_no_format_parameter_and_slots_is_one_object(schema):
    for method, path, operation in _operations(schema):
        assert "format" not in {p["name"] for p in operation.get("parameters", [])}, (method, path)
    slots = schema["paths"]["/api/v1/slots/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert slots == {"$ref": "#/components/schemas/SlotListOutput"}


def test_reports_and_fhir_are_typed(schema):
    components = schema["components"]["schemas"]
    for path in ("/api/v1/reports/revenue/", "/api/v1/reports/aging/"):
        ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert components[ref.rsplit("/", 1)[1]]["properties"], path
    fhir = schema["paths"]["/api/v1/patients/{id}/fhir/"]["get"]["responses"]["200"]["content"]
    fhir_schema = fhir["application/fhir+json"]["schema"]
    ref = fhir_schema.get("$ref", "")
    fhir_schema = components[ref.rsplit("/", 1)[1]] if ref else fhir_schema
    assert {"resourceType", "identifier", "name", "birthDate", "gender"} <= set(fhir_schema["properties"])


def _api_view_classes():
    from django.urls import get_resolver

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns)
            else:
                view = getattr(pattern.callback, "cls", None)
                if view is not None:
                    yield view

    return set(walk(get_resolver().url_patterns))


def _first_line(doc):
    return (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""


def test_internal_docstrings_stay_out_of_the_schema(schema):
    """No class docstring of a view, its bases or a serializer base becomes public text."""
    from apps.core.serializers import StrictInputSerializer

    descriptions = [op.get("description", "") for _, _, op in _operations(schema)]
    descriptions += [c.get("description", "") for c in schema["components"]["schemas"].values()]
    text = "\n".join(descriptions)
    internal = {_first_line(StrictInputSerializer.__doc__)}
    for view in _api_view_classes():
        internal |= {_first_line(klass.__doc__) for klass in view.__mro__ if klass.__module__.startswith("apps.")}
    internal.discard("")
    leaked = sorted(line for line in internal if line in text)
    assert not leaked, leaked
    assert "Refuses fields it does not declare" not in text
    assert "Base for every API over clinic-owned rows" not in text
