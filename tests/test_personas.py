"""The persona suite: every route under /api/v1/, every method, every persona, against PERMISSIONS.

Per (route, method): anonymous gets 401; a member acting on another clinic's record (or naming
another clinic in ``?clinic=`` or the URL) gets 404, or 400 on the field when a create's body
names it; each role outside the matrix's set gets 403 (404 on records it may not read at all) and
changes nothing; each role inside it gets a 2xx. Apps supply factories and bodies in
``apps/<app>/tests/personas.py`` (docs/decisions.md, "Persona suite").
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from apps.core.roles import PERMISSIONS, READ, Role
from tests.personas import Target, snapshot
from tests.personas.expect import HOME_LISTED, OTHER_CLINIC, OTHER_UNLISTED, SUCCESS, Case, cases
from tests.personas.registry import internal_models, personas
from tests.personas.routes import Route, api_routes, app_urlconfs, project_apps
from tests.personas.world import World, build_world

CASES = cases()
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One clinic pair for the module; each test's own transaction rolls its writes back."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("persona-media")):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@dataclass
class Sent:
    response: Any
    content: bytes
    obj: Any
    changed: list[str]


def send(world: World, case: Case) -> Sent:
    """Prepare the record and body, then make the request; a write is framed by two table snapshots."""
    endpoint, entry, route = case.endpoint, case.entry, case.endpoint.route
    target = world.target_of(case)
    lists_a_record = case.persona in (HOME_LISTED, OTHER_UNLISTED)
    obj = entry.make_object(target) if entry.make_object and (route.is_detail or lists_a_record) else None
    kwargs = {}
    if route.is_detail:
        assert obj is not None, f"{route.name}: a detail route needs make_object"
        kwargs[route.lookup_kwarg] = getattr(obj, route.lookup_field)
    if route.clinic_kwarg:
        kwargs[route.clinic_kwarg] = target.clinic.pk
    url = reverse(route.name, kwargs=kwargs)
    headers = entry.headers(target) if entry.headers else {}
    client = world.client(world.actor_of(case))
    changed: list[str] = []
    response: Any
    if endpoint.method == "GET":
        narrowed = not (route.is_detail or route.clinic_kwarg or entry.unscoped or lists_a_record)
        params = {"clinic": str(target.clinic.pk)} if narrowed else {}
        params.update(entry.query(target) if entry.query else {})
        response = client.get(url, params, **headers)
    else:
        body = entry.body(target, obj) if entry.body and endpoint.method != "DELETE" else None
        before = snapshot.take()
        if body is None:
            response = client.generic(endpoint.method, url, **headers)
        else:
            response = getattr(client, endpoint.method.lower())(url, body, format="json", **headers)
        changed = snapshot.changes(before, snapshot.take())
    # A streamed body (a file download) must be read whole: the test client then finishes the request.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return Sent(response, content, obj, changed)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_persona(world, db, case):
    sent = send(world, case)
    status, expected, shown = sent.response.status_code, case.expected(), sent.content[:300]
    if expected == SUCCESS:
        assert 200 <= status < 300, f"{case.id}: {status} {shown!r}"
        if case.persona in (HOME_LISTED, OTHER_UNLISTED):
            listed = case.entry.public_id(sent.obj).encode() in sent.content
            assert listed == (case.persona == HOME_LISTED), f"{case.id}: listed={listed} {shown!r}"
        return
    assert status == expected, f"{case.id}: expected {expected}, got {status} {shown!r}"
    body = sent.response.json()
    assert {"code", "message", "fields"} <= set(body), body
    if case.persona == OTHER_CLINIC and expected == 400:
        assert case.entry.body_clinic_field in body["fields"], f"{case.id}: 400 for another reason: {body}"
    if case.endpoint.method in WRITE_METHODS:
        assert sent.changed == [], f"{case.id}: a refused {case.endpoint.method} changed {sent.changed}"


# --- the suite covers everything, and cannot silently stop covering -----------------------------------


def missing_entries(routes: list[Route], entries: dict) -> list[str]:
    return sorted({route.name or route.path for route in routes} - set(entries))


def test_every_route_has_a_persona_entry():
    assert missing_entries(api_routes(), personas()) == []


def test_a_route_without_an_entry_is_reported():
    fake = Route(name="new-thing-list", path="api/v1/new-things/", urlconf="", view=None, actions={}, kwargs=())
    assert missing_entries([*api_routes(), fake], personas()) == ["new-thing-list"]


def test_no_entry_names_a_route_that_does_not_exist():
    assert sorted(set(personas()) - {route.name for route in api_routes()}) == []


def test_every_apps_urlconf_is_mounted_under_the_api():
    mounted = {route.urlconf for route in api_routes()}
    assert set(app_urlconfs()) <= mounted
    assert all(route.name for route in api_routes()), "every API route needs a name"


def test_every_resource_and_action_is_in_the_matrix():
    for route in api_routes():
        entry = personas().get(route.name)
        if route.resource is None:
            assert entry is None or entry.unscoped, f"{route.name} has no resource: declare why it is unscoped"
            continue
        assert entry is None or not entry.unscoped, f"{route.name} is scoped ({route.resource}) but declared unscoped"
        assert route.resource in PERMISSIONS, f"{route.name}: resource {route.resource!r} is not in PERMISSIONS"
        actions = PERMISSIONS[route.resource]
        declared = getattr(route.view, "action_permissions", {}) or {}
        for action in {*declared.values(), getattr(route.view, "scope_action", READ)}:
            assert action in actions, f"{route.name}: {action!r} is not an action of {route.resource!r}"
        if entry is not None and entry.others:
            assert entry.others in actions, f"{route.name}: {entry.others!r} is not an action of {route.resource!r}"


def test_every_clinic_owned_model_is_served_by_a_route_or_internal(world, db):
    served: set[type] = set()
    for entry in personas().values():
        served.update(entry.models)
        if entry.make_object and not entry.unscoped:
            with transaction.atomic():
                made = entry.make_object(Target(world.clinic, world.clinic.staff[Role.OWNER], world.clinic.colleague))
                served.add(type(made))
                transaction.set_rollback(True)
    labels = {name.rsplit(".", 1)[-1] for name in project_apps()}
    owned = {
        model
        for model in django_apps.get_models()
        if model._meta.app_label in labels
        and (model._meta.label == "clinics.Clinic" or any(f.name == "clinic" for f in model._meta.get_fields()))
    }
    internal = set(internal_models())
    assert sorted(m._meta.label for m in owned - served - internal) == [], "clinic-owned models without a route"
    assert sorted(m._meta.label for m in internal & served) == [], "declared internal but served by a route"
    assert all(internal_models().values()), "say why each internal model has no route"
