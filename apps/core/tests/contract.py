"""Pytest plugin: every API answer the test suite receives is checked against the live OpenAPI schema.

Loaded by the root conftest (``pytest_plugins``). It wraps Django's test
client, so every ``api.get(...)``/``api.post(...)`` of every test, on any
``/api/v1/`` route the schema documents, is validated with openapi-core:
an undocumented status code, a content type the operation does not declare,
or a body that does not match its schema fails the test that made the call.

The schema is generated from the code at the start of the session (never a
stored copy), so a view whose output changes is judged by its declaration as
it is now. Answers outside the schema (unknown paths, 405s for methods a route
does not have, HEAD/OPTIONS) and server errors (5xx: a bug the test itself
reports, and the fuzz test hunts) are not judged. A test that must send
something the schema cannot describe opts out with
``@pytest.mark.no_contract("why")``.
"""

import json
from itertools import chain
from typing import Any

import pytest

API_PREFIX = "/api/v1/"
_state: dict[str, Any] = {"openapi": None, "item": None, "validated": 0}


class ContractError(AssertionError):
    """An answer that its operation in the schema does not allow."""


def live_schema() -> dict[str, Any]:
    """The OpenAPI document as /api/schema/ would serve it now, as plain JSON data."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def live_openapi() -> Any:
    if _state["openapi"] is None:
        from openapi_core import Config, OpenAPI

        def text(raw: bytes | str, charset: str = "utf-8", **parameters: str) -> str:
            return raw.decode(charset) if isinstance(raw, bytes) else raw

        def fhir_json(raw: bytes | str, **parameters: str) -> Any:
            return json.loads(raw)

        # Bodies the API sends besides application/json: JSON dialects are parsed, text is text.
        deserializers: dict[str, Any] = {"application/fhir+json": fhir_json, "text/calendar": text, "text/csv": text}
        config = Config(extra_media_type_deserializers=deserializers)
        _state["openapi"] = OpenAPI.from_dict(live_schema(), config=config)
    return _state["openapi"]


def _adapters(response: Any) -> tuple[Any, Any]:
    from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
    from openapi_core.datatypes import RequestParameters
    from werkzeug.datastructures import Headers, ImmutableMultiDict

    class ConcretePathRequest(DjangoOpenAPIRequest):
        def __init__(self, request: Any) -> None:
            self.request = request
            # Tests send hostile headers on purpose (a newline in X-Request-ID); only responses are judged.
            headers = [(k, v) for k, v in request.headers.items() if "\n" not in v and "\r" not in v]
            self.parameters = RequestParameters(
                path={},
                query=ImmutableMultiDict(request.GET),
                header=Headers(headers),
                cookie=ImmutableMultiDict(dict(request.COOKIES)),
            )

        @property
        def body(self) -> bytes:
            return b""  # requests are not judged; an oversized one must not be read here

        # Match the concrete path against the schema's templates: Django's route
        # names (pk, converters) are not the schema's ({id}).
        @property
        def path_pattern(self) -> None:
            return None

    class BufferedResponse(DjangoOpenAPIResponse):
        @property
        def data(self) -> bytes:
            response: Any = self.response
            if getattr(response, "streaming", False):
                # Read the stream once and put the bytes back for the test to read.
                content = b"".join(response.streaming_content)
                response.streaming_content = [content]
                return content
            return bytes(self.response.content)

    return ConcretePathRequest(response.wsgi_request), BufferedResponse(response)


def validate_answer(response: Any) -> bool:
    """Raise ContractError if ``response`` breaks its operation's declaration; False if it is not judged."""
    from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound, ServerNotFound

    request = getattr(response, "wsgi_request", None)
    if request is None or not request.path.startswith(API_PREFIX) or response.status_code >= 500:
        return False
    if request.method in ("HEAD", "OPTIONS"):
        return False
    openapi_request, openapi_response = _adapters(response)
    try:
        live_openapi().validate_response(openapi_request, openapi_response)
    except (PathNotFound, OperationNotFound, ServerNotFound):
        return False
    except Exception as exc:
        details = [str(exc)]
        for cause in chain([exc.__cause__], getattr(exc.__cause__, "schema_errors", None) or []):
            if cause is not None:
                details.append(f"  {getattr(cause, 'message', cause)}")
        body = openapi_response.data[:500].decode("utf-8", "replace")
        raise ContractError(
            f"{request.method} {request.path} answered {response.status_code} "
            f"({response.get('Content-Type', '')}), which its OpenAPI operation does not allow:\n"
            + "\n".join(details)
            + f"\nbody: {body}"
        ) from None
    _state["validated"] += 1
    return True


def validated_count() -> int:
    return int(_state["validated"])


def _checking_request(original: Any) -> Any:
    def request(self: Any, **kwargs: Any) -> Any:
        response = original(self, **kwargs)
        item = _state["item"]
        if item is None or item.get_closest_marker("no_contract") is None:
            validate_answer(response)
        return response

    request._contract_checked = True  # type: ignore[attr-defined]
    return request


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "no_contract(reason): this test's API answers are not checked against the schema"
    )
    from django.test import Client

    if not getattr(Client.request, "_contract_checked", False):
        Client.request = _checking_request(Client.request)  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    _state["item"] = item
    try:
        return (yield)
    finally:
        _state["item"] = None
