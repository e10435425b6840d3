"""The base viewset of every API over clinic-owned rows (NetBox's restricted viewset, Sentry's
organization endpoint).

It loads the caller's ``Access`` once per request (``self.access``), narrows
it to the clinic in the URL, the object, ``?clinic=`` or a create's body,
scopes every queryset with it, and serves list and retrieve generically from
a declaration::

    class PatientViewSet(ClinicScopedViewSet):
        resource = "patients"
        list_route = ListRoute(filters=PatientListFilter, select=selectors.patient_list, output=PATIENT_OUTPUT)
        retrieve_route = RetrieveRoute(output=PATIENT_OUTPUT, select=selectors.patient_read)

A list selector is ``select(*, access, filters, paginate) -> rows``: it builds
its scoped queryset (``Model.objects.visible_to(access, ...)``), calls
``paginate`` on it, records any read audit for the rows it got, and returns
them. A retrieve selector is ``select(*, access, record) -> record`` (audit).
"""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import NotFoundError
from apps.core.outputs import OutputSpec
from apps.core.roles import READ, WRITE, Role
from apps.core.tenancy import Access, access_of, parse_uuid_param, scope_queryset

Paginate = Callable[[Any], Sequence[Any]]
Output = OutputSpec | type[serializers.BaseSerializer]


def render(output: Output, rows: Any, *, many: bool, context: Mapping[str, Any] | None = None) -> Any:
    """Rows (or one record) as the declared output writes them; serializers get ``context``."""
    if isinstance(output, OutputSpec):
        if not many:
            return output.render_any(rows)
        rows = list(rows)
        # values() rows take the fast path; model instances read the same columns as attributes.
        return output.render_many(rows) if rows and isinstance(rows[0], Mapping) else list(map(output.render_any, rows))
    return output(rows, many=many, context=context or {}).data


def schema_of(output: Output) -> type[serializers.BaseSerializer]:
    return output.serializer if isinstance(output, OutputSpec) else output


@dataclass(frozen=True)
class ListRoute:
    """GET on the collection: ``filters`` validates the query string, ``select`` reads, ``output`` writes."""

    select: Callable[..., Sequence[Any]]
    output: Output
    filters: type[serializers.Serializer] | None = None
    description: str | None = None


@dataclass(frozen=True)
class RetrieveRoute:
    """GET on one record (found by the base's scoped ``get_object``); ``select`` may audit the read."""

    output: Output
    select: Callable[..., Any] | None = None
    description: str | None = None


def _list_action(route: ListRoute) -> Any:
    def list(self: "ClinicScopedViewSet", request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list_page(route)

    parameters = [route.filters] if route.filters is not None else []
    return extend_schema(
        parameters=parameters, responses=schema_of(route.output)(many=True), description=route.description
    )(list)


def _retrieve_action(route: RetrieveRoute) -> Any:
    def retrieve(self: "ClinicScopedViewSet", request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        if route.select is not None:
            record = route.select(access=self.access, record=record)
        return Response(render(route.output, record, many=False, context=self.get_serializer_context()))

    return extend_schema(responses=schema_of(route.output), description=route.description)(retrieve)


class ClinicScopedViewSet(viewsets.GenericViewSet):
    """Base for every API over clinic-owned rows.

    Subclasses set ``resource`` (a key of apps.core.roles.PERMISSIONS) and,
    where the clinic is not ``obj.clinic``, ``clinic_field`` ("" for the Clinic
    model itself). Nested routes set ``url_clinic_kwarg``: the clinic in the URL
    is checked before anything else. ``action_permissions`` maps a viewset
    action to the matrix action it needs, when that is not read/write.
    ``list_route`` / ``retrieve_route`` declare the generic list and retrieve.
    """

    permission_classes = [IsAuthenticated]
    resource: str = ""
    clinic_field: str = "clinic"
    url_clinic_kwarg: str | None = None
    # The matrix action that decides which clinics' rows are visible at all.
    scope_action: str = READ
    action_permissions: dict[str, str] = {}
    lookup_value_converter = "uuid"
    list_route: ListRoute | None = None
    retrieve_route: RetrieveRoute | None = None

    _access: Access | None = None
    _requested_clinic_checked = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Only declared routes exist: a viewset without list_route has no list action at all.
        if cls.list_route is not None and "list" not in cls.__dict__:
            cls.list = _list_action(cls.list_route)  # type: ignore[attr-defined]
        if cls.retrieve_route is not None and "retrieve" not in cls.__dict__:
            cls.retrieve = _retrieve_action(cls.retrieve_route)  # type: ignore[attr-defined]
        declared = cls.retrieve_route or cls.list_route
        if declared is not None and cls.__dict__.get("serializer_class") is None and cls.serializer_class is None:
            cls.serializer_class = schema_of(declared.output)

    # --- the caller's access ------------------------------------------------------------------------

    @property
    def access(self) -> Access:
        """The caller's access, loaded once (one query), narrowed as the request names its clinic."""
        if self._access is None:
            self._access = access_of(self.request.user)
        return self._access

    @access.setter
    def access(self, value: Access) -> None:
        self._access = value

    def required_action(self) -> str:
        if self.action in self.action_permissions:
            return self.action_permissions[self.action]
        return READ if self.request.method in ("GET", "HEAD", "OPTIONS") else WRITE

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self._access = access_of(request.user)
        if self.url_clinic_kwarg:
            raw_clinic_id = kwargs[self.url_clinic_kwarg]
            self.access = self.access.require(raw_clinic_id, resource=self.resource, action=self.required_action())

    @property
    def url_clinic_id(self) -> uuid.UUID:
        """The clinic of a nested route's URL (checked in ``initial``)."""
        assert self.url_clinic_kwarg, "only nested routes have a clinic in the URL"
        assert self.access.clinic_id is not None
        return self.access.clinic_id

    def requested_clinic(self) -> uuid.UUID | None:
        """The clinic named by ``?clinic=`` (any action that takes it), checked once; narrows ``self.access``.

        Not a valid id: 400; a clinic the caller is not in: 404; a role that
        may not ``scope_action`` the resource there: 403.
        """
        if not self._requested_clinic_checked:
            self._requested_clinic_checked = True
            raw = self.request.query_params.get("clinic")
            # A nested route's clinic is its URL's; the Clinic collection itself is not narrowed.
            if raw and self.clinic_field and not self.url_clinic_kwarg:
                clinic_id = parse_uuid_param(raw, "clinic")
                self.access = self.access.require(clinic_id, resource=self.resource, action=self.scope_action)
        return self.access.clinic_id

    def clinic_for_write(
        self, clinic_id: Any, *, field: str = "clinic", missing: str = "No such clinic.", action: str | None = None
    ) -> Access:
        """For creates: the access narrowed to the clinic named in the body, which must allow the write.

        A clinic the caller does not belong to is a 400 on the body ``field``
        that named it (the same as a clinic that does not exist); a member
        whose role may not write gets 403.
        """
        try:
            return self.access.require(clinic_id, resource=self.resource, action=action or self.required_action())
        except NotFoundError:
            raise ValidationError({field: [missing]}) from None

    def require_clinic_for_write(
        self, clinic_id: Any, *, field: str = "clinic", missing: str = "No such clinic."
    ) -> Role:
        """``clinic_for_write``, for callers that only need the role (it also narrows ``self.access``)."""
        self.access = self.clinic_for_write(clinic_id, field=field, missing=missing)
        return self.access.role

    # --- querysets and objects ----------------------------------------------------------------------

    def get_base_queryset(self) -> QuerySet[Any]:
        queryset: QuerySet[Any] | None = getattr(self, "queryset", None)
        assert queryset is not None, f"{type(self).__name__} needs a queryset"
        return queryset.all()

    def get_queryset(self) -> QuerySet[Any]:
        if not self.detail:
            self.requested_clinic()
        return scope_queryset(
            self.get_base_queryset(),
            self.access,
            resource=self.resource,
            action=self.scope_action,
            clinic_field=self.clinic_field,
        )

    def clinic_id_of(self, obj: Model) -> Any:
        return obj.pk if not self.clinic_field else getattr(obj, f"{self.clinic_field}_id")

    def get_object(self) -> Any:
        obj = super().get_object()
        self.access = self.access.require(self.clinic_id_of(obj), resource=self.resource, action=self.required_action())
        return obj

    # --- the generic list ---------------------------------------------------------------------------

    def list_filters(self, filters: type[serializers.Serializer] | None) -> dict[str, Any]:
        """The validated query parameters (400 with the fields otherwise)."""
        if filters is None:
            return {}
        query = filters(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return dict(query.validated_data)

    def list_page(self, route: ListRoute) -> Response:
        filters = self.list_filters(route.filters)
        self.requested_clinic()
        paginate: Paginate = self.paginate_queryset if self.paginator is not None else list  # type: ignore[assignment]
        rows = route.select(access=self.access, filters=filters, paginate=paginate)
        data = render(route.output, rows, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(data) if self.paginator is not None else Response(data)
