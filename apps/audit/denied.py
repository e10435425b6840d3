"""Refused access is a disclosure attempt: a viewset mixin that audits every 403 and 404 it answers.

Recorded for an authenticated caller only (anonymous requests are 401s and
carry no actor). The event names the requested id and the outcome:

- ``forbidden``: the caller is a member of the record's clinic but their role
  may not do this; the event belongs to that clinic, whose auditors see it.
- ``not_found``: missing, or another clinic's record (the API cannot tell them
  apart, and neither does the event): the clinic is left empty, so nothing
  about the other clinic is written where the caller's clinic could read it.

The insert runs after the view's own transaction has rolled back.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from apps.audit.record import AuditTarget, audit_record, resource_type_of
from apps.core.errors import ForbiddenError, NotFoundError
from apps.core.tenancy import clinic_roles

NOT_FOUND = (Http404, exceptions.NotFound, NotFoundError)
FORBIDDEN = (exceptions.PermissionDenied, DjangoPermissionDenied, ForbiddenError)


def denied_outcome(exc: Exception) -> str | None:
    """``not_found``, ``forbidden``, or None when ``exc`` is not a refusal of access."""
    if isinstance(exc, NOT_FOUND):
        return "not_found"
    if isinstance(exc, FORBIDDEN):
        return "forbidden"
    return None


class DeniedAccessAudited:
    """Mix into a DRF viewset before its base; set ``denied_event`` and ``denied_model``."""

    denied_event: models.TextChoices
    denied_model: type[models.Model]
    request: Any
    kwargs: dict[str, Any]

    def handle_exception(self, exc: Exception) -> Response:
        outcome = denied_outcome(exc)
        user = getattr(self.request, "user", None) if outcome else None
        if outcome and getattr(user, "is_authenticated", False):
            self._audit_denied(user, outcome)
        return super().handle_exception(exc)  # type: ignore[misc]

    def _audit_denied(self, user: Any, outcome: str) -> None:
        requested = self.kwargs.get("pk")
        clinic_id = None
        if outcome == "forbidden" and requested is not None:
            # A member of the record's clinic: that clinic's auditors should see the refusal.
            clinic_id = (
                self.denied_model._default_manager.filter(pk=requested, clinic_id__in=list(clinic_roles(user)))
                .values_list("clinic_id", flat=True)
                .first()
            )
        audit_record(
            actor=user,
            obj=AuditTarget(
                resource_type=resource_type_of(self.denied_model),
                resource_id=str(requested or ""),
                clinic_id=clinic_id,
            ),
            event=self.denied_event,
            changes={"outcome": outcome, "method": self.request.method, "route": getattr(self, "action", None) or ""},
        )
