"""What each persona must get, from the route, the view's class attributes and PERMISSIONS alone."""

from dataclasses import dataclass

from apps.core.roles import ALL_ROLES, Role, allowed_roles
from tests.personas.case import PersonaCase
from tests.personas.registry import personas
from tests.personas.routes import Endpoint, endpoints

ANONYMOUS = "anonymous"
OTHER_CLINIC = "other-clinic"
# A list without ?clinic=: a record of the caller's clinic shows, one of another clinic does not.
HOME_LISTED = "home-record-listed"
OTHER_UNLISTED = "other-clinic-record-unlisted"
OTHERS_SUFFIX = "-on-others"
SUCCESS = "2xx"


@dataclass(frozen=True)
class Case:
    """One (route, method, persona) of the suite."""

    endpoint: Endpoint
    entry: PersonaCase
    persona: str

    @property
    def id(self) -> str:
        return f"{self.endpoint.id}:{self.persona}"

    @property
    def role(self) -> Role | None:
        name = self.persona.removesuffix(OTHERS_SUFFIX)
        return Role(name) if name in Role.values else None

    @property
    def on_others(self) -> bool:
        return self.persona.endswith(OTHERS_SUFFIX)

    @property
    def resource(self) -> str:
        resource = self.endpoint.route.resource
        assert resource, f"{self.endpoint.id} has no resource"
        return resource

    def allowed(self) -> frozenset[Role]:
        """The roles the matrix (or the entry, for rules beyond it) lets do this."""
        if self.endpoint.method in self.entry.any_member:
            return ALL_ROLES
        return allowed_roles(self.resource, self.endpoint.matrix_action)

    def only_own(self, role: Role) -> bool:
        """The role may do this to its own records only (the entry names the action for others').

        A role that may not do it at all is not "own only": its refused case gets the
        clinic practitioner's record (a booking's or a feed's owner must be a practitioner).
        """
        others = self.entry.others
        if others is None or self.endpoint.matrix_action == "read" or role not in self.allowed():
            return False
        return role not in allowed_roles(self.resource, others)

    def tenancy_actor_role(self) -> Role:
        """Who tries another clinic: a role allowed to do it at home, so only tenancy refuses."""
        for role in Role:
            if role in self.allowed() and not self.only_own(role):
                return role
        return Role.OWNER

    def expected(self) -> int | str:
        route = self.endpoint.route
        if self.persona == ANONYMOUS:
            return self.entry.anonymous
        if self.persona in (HOME_LISTED, OTHER_UNLISTED):
            return SUCCESS
        if self.persona == OTHER_CLINIC:
            if route.is_detail or route.clinic_kwarg or self.endpoint.method == "GET":
                return 404
            return 400
        role = self.role
        assert role is not None
        if self.on_others:
            return 403
        if role in self.allowed():
            return SUCCESS
        if (
            route.is_detail
            and not route.clinic_kwarg
            and role not in allowed_roles(self.resource, self.endpoint.scope_action)
        ):
            return 404  # rows the role may not read at all do not exist for it
        return 403


def cases() -> list[Case]:
    """Every case of every covered endpoint (an endpoint without an entry fails the coverage test)."""
    found = []
    for endpoint in endpoints():
        entry = personas().get(endpoint.route.name)
        if entry is None:
            continue
        found.append(Case(endpoint, entry, ANONYMOUS))
        if entry.unscoped:
            continue
        if endpoint.method not in entry.no_other_clinic:
            found.append(Case(endpoint, entry, OTHER_CLINIC))
        if endpoint.method == "GET" and entry.make_object and not endpoint.route.is_detail:
            found += [Case(endpoint, entry, HOME_LISTED), Case(endpoint, entry, OTHER_UNLISTED)]
        for role in Role:
            found.append(Case(endpoint, entry, role.value))
        for role in Role:
            case = Case(endpoint, entry, role.value + OTHERS_SUFFIX)
            if role in case.allowed() and case.only_own(role):
                found.append(case)
    return found
