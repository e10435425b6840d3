"""FHIR R4 representations of patients."""

from typing import Any

from apps.patients.models import Patient

MRN_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
EMERGENCY_CONTACT = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}]}


def mrn_system(clinic_id: Any) -> str:
    """The identifier system of one clinic's MRNs: MRNs are unique per clinic only."""
    return f"urn:clinicops:clinic:{clinic_id}:mrn"


def patient_resource(patient: Patient, *, with_links: bool = False) -> dict[str, Any]:
    """A FHIR R4 ``Patient`` resource; empty elements are left out, as FHIR requires.

    ``with_links`` adds ``link`` for merges (replaced-by / replaces): one more
    query, so single reads ask for it and exports do not.
    """
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"lastUpdated": patient.updated_at.isoformat()},
        "identifier": [
            {"use": "usual", "type": MRN_TYPE, "system": mrn_system(patient.clinic_id), "value": patient.mrn}
        ],
        "active": patient.active,
        "name": [{"use": "official", "family": patient.family_name, "given": patient.given_name.split()}],
        "gender": patient.sex,
        "birthDate": patient.date_of_birth.isoformat(),
    }
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        resource["telecom"] = telecom
    address = {
        key: value
        for key, value in (
            ("line", [patient.address_line] if patient.address_line else None),
            ("city", patient.city),
            ("postalCode", patient.postal_code),
            ("country", patient.country),
        )
        if value
    }
    if address:
        resource["address"] = [address]
    if patient.emergency_contact_name or patient.emergency_contact_phone:
        contact: dict[str, Any] = {"relationship": [EMERGENCY_CONTACT]}
        if patient.emergency_contact_name:
            contact["name"] = {"text": patient.emergency_contact_name}
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        resource["contact"] = [contact]
    links = (
        [{"other": {"reference": f"Patient/{patient.merged_into_id}"}, "type": "replaced-by"}]
        if (patient.merged_into_id)
        else []
    )
    if with_links:
        links += [
            {"other": {"reference": f"Patient/{merged_id}"}, "type": "replaces"}
            for merged_id in Patient.objects.filter(merged_into=patient).values_list("pk", flat=True)
        ]
    if links:
        # Merges (apps/patients/merge.py), as FHIR says them: Patient.link.
        resource["link"] = links
    return resource
