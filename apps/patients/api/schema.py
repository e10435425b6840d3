"""Schema declarations of the patient API's answers that no serializer renders: FHIR and the duplicate refusal."""

from typing import Any

from drf_spectacular.utils import extend_schema_serializer

from apps.core.schema import ErrorOutput
from apps.patients.api.serializers import DuplicateCandidateOutput


@extend_schema_serializer(component_name="DuplicateError")
class DuplicateErrorOutput(ErrorOutput):
    """409 ``possible_duplicate``: the Error body with the likely duplicates."""

    candidates = DuplicateCandidateOutput(many=True)


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


_STRING = {"type": "string"}
_CODING = _object({"coding": {"type": "array", "items": _object({"system": _STRING, "code": _STRING})}})
_TELECOM = {
    "type": "array",
    "items": _object({"system": {"type": "string", "enum": ["phone", "email"]}, "value": _STRING}),
}

# FHIR R4 Patient (https://hl7.org/fhir/R4/patient.html): the elements apps.patients.fhir writes.
FHIR_PATIENT_SCHEMA: dict[str, Any] = _object(
    {
        "resourceType": {"type": "string", "enum": ["Patient"]},
        "id": {"type": "string", "format": "uuid"},
        "meta": _object({"lastUpdated": {"type": "string", "format": "date-time"}}),
        "identifier": {
            "type": "array",
            "description": "The MRN; its system names the clinic (MRNs are unique per clinic).",
            "items": _object({"use": _STRING, "type": _CODING, "system": _STRING, "value": _STRING}),
        },
        "active": {"type": "boolean"},
        "name": {
            "type": "array",
            "items": _object({"use": _STRING, "family": _STRING, "given": {"type": "array", "items": _STRING}}),
        },
        "gender": {"type": "string", "enum": ["female", "male", "other", "unknown"]},
        "birthDate": {"type": "string", "format": "date"},
        "telecom": _TELECOM,
        "address": {
            "type": "array",
            "items": _object(
                {
                    "line": {"type": "array", "items": _STRING},
                    "city": _STRING,
                    "postalCode": _STRING,
                    "country": _STRING,
                }
            ),
        },
        "contact": {
            "type": "array",
            "description": "The emergency contact.",
            "items": _object(
                {
                    "relationship": {"type": "array", "items": _CODING},
                    "name": _object({"text": _STRING}),
                    "telecom": _TELECOM,
                }
            ),
        },
    },
    required=["resourceType", "id", "identifier", "active", "name", "gender", "birthDate"],
)
