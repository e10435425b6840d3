"""The OpenAPI schema, made to match what the API answers.

drf-spectacular describes the happy path from each view; this AutoSchema adds
what every view shares, derived from the view's own attributes so no view has
to repeat it:

* the error answers each operation can give, all with the one ``Error`` body
  of apps.core.errors (``{code, message, fields}``): 400 always (a malformed
  query string or body), 401 (no valid token; wrong credentials at login), 403 where a role or CSRF
  can refuse, 404 on detail routes and wherever a clinic is looked up, 409 on
  writes that services can refuse for the state of a record, 413 and 415 where
  there is a body, 422 where an Idempotency-Key is taken, 429 everywhere;
* descriptions written for integrators: a view's docstring is developer
  documentation and never becomes public; an operation's description is its
  ``extend_schema(description=...)`` or the docstring of the action method
  written in the domain app; components carry no docstring at all;
* operationIds of letters, digits and ``_``; no ``?format=`` parameter;
* an unpaginated ``list`` answers the one object it declares, not an array.
"""

import re
from typing import Any

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc, is_list_serializer
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Packages whose docstrings describe the machinery, not the API.
_INTERNAL_MODULES = ("apps.core", "rest_framework", "drf_spectacular")

ERROR_DESCRIPTIONS: dict[str, str] = {
    "400": "The request is malformed or its input is invalid: `fields` maps each offending field to its messages.",
    "401": "No valid access token (sign in at `auth/token/` and send `Authorization: Bearer <access>`), "
    "or, at the sign-in routes, wrong credentials or a revoked refresh token.",
    "403": "Your role in this clinic does not allow this action (or a browser session's CSRF check failed).",
    "404": "No such record among your clinics (another clinic's record looks exactly like a missing one).",
    "409": "Refused for the current state of a record (for example an issued invoice, a taken slot, "
    "a transition that is not allowed); `code` says which.",
    "413": "The request body is too large.",
    "415": "The body is not `application/json`.",
    "422": "This Idempotency-Key was already used with a different request.",
    "429": "Too many requests: wait `retry_after` seconds (also in the Retry-After header).",
}

# Public descriptions of the tags (the first path segment after /api/v1/).
TAG_DESCRIPTIONS: dict[str, str] = {
    "auth": "Sign in (email and password for a short-lived access token and a rotating refresh token), "
    "refresh, sign out, change one's password, and who am I.",
    "clinics": "The clinics you belong to, their settings, and their members with roles.",
    "patients": "Patients of your clinics: registration with a duplicate check, typo-tolerant search, "
    "archive, FHIR R4 representation and exports. Every read is recorded in the audit trail.",
    "availability": "Practitioners' weekly hours per clinic, in the clinic's local time.",
    "availability-exceptions": "Days off, hours off and extra hours on single local dates.",
    "slots": "Free slots of a practitioner in a clinic over at most 31 local days.",
    "appointments": "Booking, rescheduling and the visit's progress (check-in, completion, cancellation, "
    "no-show); an iCalendar feed of a practitioner's appointments.",
    "reminder-preferences": "A patient's choice about appointment reminders.",
    "services": "A clinic's catalog of billable services with prices and tax rates.",
    "invoices": "Invoices: drafts change freely; issuing gives a gapless number and freezes them; "
    "void and re-issue correct them. Payments are taken here with an Idempotency-Key.",
    "payments": "Payments taken on invoices, and their refunds.",
    "reports": "Revenue and aging of one clinic, in its currency and local days.",
    "audit-events": "The audit trail of who did what to which record (owners and admins).",
}


@extend_schema_serializer(component_name="Error")
class ErrorOutput(serializers.Serializer):
    """The body of every error answer (apps.core.errors.error_body)."""

    code = serializers.CharField(help_text="Stable, machine-readable reason, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="For people; may change between releases.")
    # DRF's metaclass moves declared fields out of the class, so this does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text="Per-field messages of a 400 (`non_field_errors` for the request as a whole); empty otherwise.",
    )
    retry_after = serializers.IntegerField(required=False, help_text="429 only: seconds to wait.")


class ClinicOpsAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with the shared error answers and public-only descriptions."""

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            self._add_error_responses(operation)
        return operation

    # --- error answers --------------------------------------------------------
    def error_statuses(self, operation: dict[str, Any]) -> list[str]:
        """The error statuses this operation can answer, from the view's attributes and the operation."""
        view = self.view
        parameters = operation.get("parameters", [])
        query_names = {p["name"] for p in parameters if p.get("in") == "query"}
        header_names = {p["name"].lower() for p in parameters if p.get("in") == "header"}
        has_body = "requestBody" in operation
        unsafe = self.method not in SAFE_METHODS
        authenticated = not all(isinstance(p, AllowAny) for p in view.get_permissions())
        clinic_scoped = bool(getattr(view, "resource", ""))
        session_auth = any(type(a).__name__ == "SessionAuthentication" for a in view.get_authenticators())

        # 401 everywhere: a missing or expired token, and wrong credentials at the login routes.
        statuses = ["400", "401"]
        if authenticated and (clinic_scoped or (unsafe and session_auth)):
            statuses.append("403")
        if "{" in self.path or "clinic" in query_names or getattr(view, "url_clinic_kwarg", None):
            statuses.append("404")
        if unsafe and clinic_scoped:
            statuses.append("409")
        if has_body:
            statuses += ["413", "415"]
        if "idempotency-key" in header_names:
            statuses.append("422")
        statuses.append("429")
        return statuses

    def _error_ref(self) -> dict[str, Any]:
        component = self.resolve_serializer(ErrorOutput(), "response")
        return component.ref

    def _add_error_responses(self, operation: dict[str, Any]) -> None:
        responses: dict[str, Any] = operation["responses"]
        body = {"application/json": {"schema": self._error_ref()}}
        for code in self.error_statuses(operation):
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
        operation["responses"] = responses = dict(sorted(responses.items()))
        for code, response in responses.items():
            if code >= "400":
                # A declared error without a body, or one the renderers would call PDF or text: the Error body.
                content = response.get("content") or {}
                if not content or "application/json" not in content:
                    response["content"] = body
                response["description"] = response.get("description") or ERROR_DESCRIPTIONS.get(code, "")

    # --- shapes, names, descriptions ------------------------------------------
    def _is_list_view(self, serializer: Any = None) -> bool:
        """An unpaginated ``list`` returns the one object it declares; every real list is paginated."""
        declared = self.get_response_serializers() if serializer is None else serializer
        if isinstance(declared, dict) and declared:
            declared = {str(code): s for code, s in declared.items()}
            declared = declared[min(declared)]
        if (
            getattr(self.view, "action", None) == "list"
            and getattr(self.view, "pagination_class", None) is None
            and not is_list_serializer(declared)
        ):
            return False
        return bool(super()._is_list_view(serializer))

    def get_operation_id(self) -> str:
        return re.sub(r"[^A-Za-z0-9_]", "_", super().get_operation_id())

    def _get_format_parameters(self) -> list[dict[str, Any]]:
        # ``?format=`` is DRF's content-negotiation shortcut; clients use the Accept header.
        return []

    def get_description(self) -> str:  # type: ignore[override]
        """The docstring of the action method as written in a domain app; nothing from bases or the view class."""
        name = getattr(self.view, "action", None) or self.method.lower()
        for klass in type(self.view).__mro__:
            if name in vars(klass):
                if klass.__module__.startswith(_INTERNAL_MODULES):
                    return ""
                return str(get_doc(vars(klass)[name]))
        return ""

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        # Serializer docstrings explain the implementation; extend_schema_serializer(description=) is public.
        if not getattr(serializer, "_spectacular_annotation", {}).get("description"):
            schema.pop("description", None)
        return schema


def postprocess_schema(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: public tag descriptions, the page-size bound."""
    used = sorted(
        {tag for item in result.get("paths", {}).values() for op in item.values() for tag in op.get("tags", [])}
    )
    result["tags"] = [{"name": tag, "description": TAG_DESCRIPTIONS.get(tag, "")} for tag in used]
    result.setdefault("info", {})["description"] = (
        f"{settings.SPECTACULAR_SETTINGS.get('DESCRIPTION', '')}\n\n"
        "Every error answers `{code, message, fields}` (the `Error` schema). Lists are paginated "
        "(`?page=`, `?page_size=` up to " + str(settings.MAX_PAGE_SIZE) + ") and cover the union of your clinics "
        "unless `?clinic=` narrows them; a record of a clinic you do not belong to answers 404."
    )
    return result
