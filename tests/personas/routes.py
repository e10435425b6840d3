"""Every route under /api/v1/, read from the root URLconf: name, view class, methods and actions.

Only URL patterns, view class attributes (``resource``, ``action_permissions``,
``url_clinic_kwarg``, ``scope_action``, ``http_method_names``) and ``PERMISSIONS`` are read, never
a view's internals.
"""

import importlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from apps.core.roles import READ, WRITE

API_PREFIX = "api/v1/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
TESTED_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    urlconf: str
    view: Any
    actions: dict[str, str] | None  # method -> viewset action; None for a plain APIView
    kwargs: tuple[str, ...]

    @property
    def resource(self) -> str | None:
        return getattr(self.view, "resource", None) or None

    @property
    def clinic_kwarg(self) -> str | None:
        return getattr(self.view, "url_clinic_kwarg", None)

    @property
    def lookup_field(self) -> str:
        """The record attribute a detail URL names (``pk``, or e.g. ``event_id``, ``tree_size``)."""
        return getattr(self.view, "lookup_field", None) or "pk"

    @property
    def lookup_kwarg(self) -> str:
        return getattr(self.view, "lookup_url_kwarg", None) or self.lookup_field

    @property
    def is_detail(self) -> bool:
        return self.lookup_kwarg in self.kwargs

    def methods(self) -> list[str]:
        allowed = {m.lower() for m in getattr(self.view, "http_method_names", TESTED_METHODS)}
        if self.actions is not None:
            found = [m for m in self.actions if m in allowed]
        else:
            found = [m for m in TESTED_METHODS if m in allowed and hasattr(self.view, m)]
        return [m.upper() for m in TESTED_METHODS if m in found]


@dataclass(frozen=True)
class Endpoint:
    route: Route
    method: str

    @property
    def action(self) -> str | None:
        return None if self.route.actions is None else self.route.actions[self.method.lower()]

    @property
    def matrix_action(self) -> str:
        """The PERMISSIONS action the view declares for this action, else read/write by method."""
        declared = getattr(self.route.view, "action_permissions", {}) or {}
        if self.action in declared:
            return declared[self.action]
        return READ if self.method in SAFE_METHODS else WRITE

    @property
    def scope_action(self) -> str:
        """The matrix action that decides whether the role sees the records at all."""
        return getattr(self.route.view, "scope_action", READ) or READ

    @property
    def id(self) -> str:
        return f"{self.route.name}:{self.method}"


def _walk(resolvers: list[Any], prefix: str, urlconf: str) -> list[Route]:
    routes = []
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            name = entry.urlconf_name
            child_conf = name if isinstance(name, str) else getattr(entry.urlconf_module, "__name__", urlconf)
            routes += _walk(entry.url_patterns, prefix + str(entry.pattern), child_conf)
        elif isinstance(entry, URLPattern):
            callback = entry.callback
            view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            converters = getattr(entry.pattern, "converters", {})
            actions = getattr(callback, "actions", None)
            routes.append(
                Route(
                    name=entry.name or "",
                    path=prefix + str(entry.pattern),
                    urlconf=urlconf,
                    view=view,
                    actions=dict(actions) if actions else None,
                    kwargs=tuple(converters),
                )
            )
    return routes


def api_routes() -> list[Route]:
    """The routes mounted under /api/v1/, in URLconf order."""
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and str(entry.pattern) == API_PREFIX:
            return _walk(entry.url_patterns, API_PREFIX, "")
    raise AssertionError(f"no {API_PREFIX} in the root URLconf")


def endpoints() -> list[Endpoint]:
    return [Endpoint(route, method) for route in api_routes() for method in route.methods()]


def project_apps() -> list[str]:
    return [name for name in settings.INSTALLED_APPS if name.startswith("apps.")]


def app_urlconfs() -> list[str]:
    """Every ``apps/<app>/api/urls.py`` that exists: all of them must be mounted under /api/v1/."""
    found = []
    for app in project_apps():
        try:
            importlib.import_module(f"{app}.api.urls")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{app}.api", f"{app}.api.urls"):
                raise
            continue
        found.append(f"{app}.api.urls")
    return found
