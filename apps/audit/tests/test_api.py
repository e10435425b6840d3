"""audit-events/: owners and admins of the clinic only.

Anonymous, another clinic's ``?clinic=`` and the refused roles' 403 are in tests/test_personas.py.
"""

import pytest
from django.urls import reverse

from apps.audit.services import audit_record
from apps.core.roles import ALL_ROLES, READ, Role, allowed_roles

pytestmark = pytest.mark.django_db
URL = reverse("audit-event-list")


READERS = sorted(allowed_roles("audit", READ))


@pytest.mark.parametrize("role", READERS)
def test_managers_read_their_clinics_events_only(as_user, clinic, other_clinic, role):
    mine = audit_record(action="x.read", resource_type="thing", resource_id="1", clinic_id=clinic.pk)
    audit_record(action="x.read", resource_type="thing", resource_id="2", clinic_id=other_clinic.pk)
    audit_record(action="auth.login", resource_type="user")  # no clinic: admin site only
    response = as_user(clinic.staff[role]).get(URL)
    assert response.status_code == 200
    assert [e["id"] for e in response.data["results"]] == [str(mine.event_id)]


def test_filters_by_resource(as_user, clinic):
    audit_record(action="a", resource_type="membership", resource_id="m1", clinic_id=clinic.pk)
    wanted = audit_record(action="b", resource_type="clinic", resource_id="c1", clinic_id=clinic.pk)
    response = as_user(clinic.staff[Role.OWNER]).get(
        URL, {"clinic": str(clinic.pk), "resource_type": "clinic", "resource_id": "c1"}
    )
    assert [e["id"] for e in response.data["results"]] == [str(wanted.event_id)]
    assert response.data["results"][0]["action"] == "b"


@pytest.mark.parametrize("role", sorted(ALL_ROLES - set(READERS)))
def test_other_roles_see_nothing_in_the_unfiltered_list(as_user, clinic, role):
    audit_record(action="a", resource_type="t", clinic_id=clinic.pk)
    assert as_user(clinic.staff[role]).get(URL).data["results"] == []


def test_the_list_is_read_only(as_user, clinic):
    response = as_user(clinic.staff[Role.OWNER]).post(URL, {"action": "forged"})
    assert response.status_code == 405


# --- proofs and checkpoints ---------------------------------------------------

CHECKPOINTS = reverse("audit-checkpoint-list")
CONSISTENCY = reverse("audit-checkpoint-consistency")


def proof_url(event):
    return reverse("audit-event-proof", kwargs={"event_id": event.event_id})


@pytest.fixture
def sealed(clinic, other_clinic):
    from apps.audit.sealer import audit_seal

    mine = [audit_record(action="x.read", resource_type="t", resource_id=str(n), clinic_id=clinic.pk) for n in range(5)]
    theirs = audit_record(action="x.read", resource_type="t", clinic_id=other_clinic.pk)
    first = audit_seal().checkpoint
    mine.append(audit_record(action="y.read", resource_type="t", clinic_id=clinic.pk))
    second = audit_seal().checkpoint
    return {"mine": mine, "theirs": theirs, "first": first, "second": second}


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_an_inclusion_proof_verifies_offline_against_the_signed_checkpoint(as_user, clinic, sealed, role):
    from apps.audit import merkle, signing
    from apps.audit.checkpoint_format import SignedCheckpoint

    event = sealed["mine"][3]
    response = as_user(clinic.staff[role]).get(proof_url(event))
    assert response.status_code == 200
    body = response.json()
    assert body["tree_size"] == 7
    assert body["log_index"] == 3
    # What an auditor does with the JSON alone and the public key:
    leaf = merkle.leaf_hash(body["entry"].encode())
    assert leaf.hex() == body["leaf_hash"]
    checkpoint = SignedCheckpoint.from_dict(body["checkpoint"])
    assert signing.verify_signature(checkpoint.body(), checkpoint.signature, signing.current_public_key())
    path = [bytes.fromhex(h) for h in body["inclusion_path"]]
    assert merkle.verify_inclusion(3, 7, leaf, path, bytes.fromhex(checkpoint.root_hash))
    assert f'"event_id":"{event.event_id}"' in body["entry"]


def test_a_proof_against_an_older_checkpoint(as_user, clinic, sealed):
    from apps.audit import merkle

    response = as_user(clinic.staff[Role.OWNER]).get(proof_url(sealed["mine"][0]), {"tree_size": 6})
    body = response.json()
    assert body["tree_size"] == 6
    path = [bytes.fromhex(h) for h in body["inclusion_path"]]
    assert merkle.verify_inclusion(
        0, 6, bytes.fromhex(body["leaf_hash"]), path, bytes.fromhex(sealed["first"].root_hash)
    )
    too_early = as_user(clinic.staff[Role.OWNER]).get(proof_url(sealed["mine"][5]), {"tree_size": 6})
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "audit_event_after_checkpoint"
    assert as_user(clinic.staff[Role.OWNER]).get(proof_url(sealed["mine"][0]), {"tree_size": 5}).status_code == 404
    bad = as_user(clinic.staff[Role.OWNER]).get(proof_url(sealed["mine"][0]), {"tree_size": "x"})
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"tree_size": ["Must be a whole number."]}


def test_another_clinics_event_has_no_proof_for_me(as_user, clinic, sealed):
    response = as_user(clinic.staff[Role.OWNER]).get(proof_url(sealed["theirs"]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.RECEPTIONIST, Role.BILLING])
def test_other_roles_get_no_proof(as_user, clinic, sealed, role):
    assert as_user(clinic.staff[role]).get(proof_url(sealed["mine"][0])).status_code == 404


def test_an_unsealed_event_answers_409(as_user, clinic):
    event = audit_record(action="x.read", resource_type="t", clinic_id=clinic.pk)
    response = as_user(clinic.staff[Role.OWNER]).get(proof_url(event))
    assert response.status_code == 409
    assert response.json()["code"] == "audit_event_not_sealed"


def test_proofs_and_checkpoints_need_a_login(api, sealed):
    assert api.get(proof_url(sealed["mine"][0])).status_code == 401
    assert api.get(CHECKPOINTS).status_code == 401
    assert api.get(CONSISTENCY, {"first": 6}).status_code == 401


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_managers_list_every_signed_checkpoint_newest_first(as_user, clinic, sealed, role):
    response = as_user(clinic.staff[role]).get(CHECKPOINTS)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [c["tree_size"] for c in results] == [7, 6]  # the shared tree, other clinics' events included
    assert results[0]["prev_checkpoint_hash"] == results[1]["checkpoint_hash"]
    assert set(results[0]) == {
        "log",
        "tree_size",
        "root_hash",
        "prev_checkpoint_hash",
        "sealed_at",
        "checkpoint_hash",
        "key_id",
        "signature",
    }
    one = as_user(clinic.staff[role]).get(reverse("audit-checkpoint-detail", kwargs={"tree_size": 6}))
    assert one.json() == results[1]
    missing = as_user(clinic.staff[role]).get(reverse("audit-checkpoint-detail", kwargs={"tree_size": 99}))
    assert missing.status_code == 404


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.RECEPTIONIST, Role.BILLING])
def test_other_roles_may_not_read_checkpoints(as_user, clinic, sealed, role):
    client = as_user(clinic.staff[role])
    assert client.get(CHECKPOINTS).status_code == 403
    assert client.get(CONSISTENCY, {"first": 6}).status_code == 403


def test_a_consistency_proof_between_two_checkpoints_verifies(as_user, clinic, sealed):
    from apps.audit import merkle

    response = as_user(clinic.staff[Role.OWNER]).get(CONSISTENCY, {"first": 6, "second": 7})
    assert response.status_code == 200
    body = response.json()
    path = [bytes.fromhex(h) for h in body["consistency_path"]]
    first_root = bytes.fromhex(body["first_checkpoint"]["root_hash"])
    second_root = bytes.fromhex(body["second_checkpoint"]["root_hash"])
    assert merkle.verify_consistency(6, 7, first_root, second_root, path)
    latest = as_user(clinic.staff[Role.OWNER]).get(CONSISTENCY, {"first": 6}).json()
    assert latest["second"] == 7


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 400), ({"first": "a"}, 400), ({"first": 0}, 400), ({"first": 7, "second": 6}, 400), ({"first": 3}, 404)],
)
def test_a_bad_consistency_request_is_a_clear_4xx(as_user, clinic, sealed, params, status):
    response = as_user(clinic.staff[Role.OWNER]).get(CONSISTENCY, params)
    assert response.status_code == status
    assert {"code", "message", "fields"} <= set(response.json())


def test_a_proof_costs_a_fixed_handful_of_queries(as_user, clinic, sealed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(clinic.staff[Role.OWNER])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(proof_url(sealed["mine"][2])).status_code == 200
    # user, memberships, event, leaf, checkpoint, leaves, nodes
    assert len(queries) <= 8
