"""What an app declares per route: a factory, a valid body, and the rules the matrix cannot say."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apps.core.roles import Role


@dataclass(frozen=True)
class Target:
    """Where a persona case acts: the clinic of the record or body, who acts, whose record it is.

    ``actor`` is the persona's user (for the anonymous case: the clinic's owner, so that records
    "of the requester" still exist). ``owner`` is the person the record is about when that matters
    (the practitioner of an appointment): the actor for a role that may only write its own, the
    clinic's practitioner by default, and a colleague for the "someone else's" cases.
    """

    clinic: Any
    actor: Any
    owner: Any

    def staff(self, role: Role) -> Any:
        return self.clinic.staff[role]


Factory = Callable[[Target], Any]
BodyFactory = Callable[[Target, Any], dict[str, Any]]


@dataclass(frozen=True)
class PersonaCase:
    """One route's entry in an app's ``PERSONAS`` registry.

    - ``make_object(target)``: for detail routes, a record in ``target.clinic`` in the state the
      route's actions accept (a draft for ``issue/``, an issued invoice for ``payments/``...). For a
      list, a record it shows: the suite checks that the unfiltered list shows the caller's clinic's
      and never another clinic's (found by ``public_id(obj)`` in the response).
    - ``body(target, obj)``: a valid body for the route's writing method(s), naming ``target.clinic``.
    - ``query(target)``: extra query parameters for GET on a collection (``?clinic=`` is added).
    - ``headers(target)``: extra headers (an ``Idempotency-Key``).
    - ``others``: the matrix action needed to write someone else's record (``"write_others"``);
      roles with the write but not this get the record as their own, and a case on a colleague's
      record that must be refused.
    - ``any_member``: methods open to every signed-in user whatever the matrix says (creating a
      clinic makes its creator the owner).
    - ``body_clinic_field``: the body field a create names its clinic through (400 when it is
      another clinic's).
    - ``models``: clinic-owned models the route serves that ``make_object`` does not return.
    - ``unscoped``: why the route is outside tenancy (auth endpoints); only anonymous is checked.
    - ``anonymous``: the status an anonymous caller gets (401, or e.g. 400 for a public login; ``"2xx"``
      where the URL itself is the credential).
    - ``no_other_clinic``: methods where the other-clinic case does not apply, with the reason.
    """

    make_object: Factory | None = None
    body: BodyFactory | None = None
    query: Factory | None = None
    headers: Factory | None = None
    others: str | None = None
    any_member: tuple[str, ...] = ()
    body_clinic_field: str = "clinic"
    models: tuple[type, ...] = ()
    unscoped: str = ""
    anonymous: int | str = 401  # or expect.SUCCESS for a route whose URL is its credential
    no_other_clinic: dict[str, str] = field(default_factory=dict)
    public_id: Callable[[Any], str] = lambda obj: str(obj.pk)
