"""Filter serializers: every list validates its query string with one, and the schema lists its fields.

A filter is a plain serializer over ``request.query_params``; the pagination
parameters (``page``, ``page_size``) are the paginator's and are ignored here.
DRF's CharField already refuses NUL characters, so they answer 400.
"""

from typing import Any

from rest_framework import serializers


class IdParam(serializers.UUIDField):
    """A query parameter naming a record by id; the same message as the rest of the API."""

    default_error_messages = {"invalid": "Must be a valid id."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class ListFilter(serializers.Serializer):
    """Base of list filters: ``clinic`` narrows to one of the caller's clinics (checked by tenancy)."""

    clinic = IdParam(help_text="Only this clinic (one of yours); default: all your clinics.")


def ordering_param(*names: str, help_text: str = "") -> serializers.ChoiceField:
    """``?ordering=`` accepting each name and its ``-name`` (descending)."""
    choices = [option for name in names for option in (name, f"-{name}")]
    return serializers.ChoiceField(choices=choices, required=False, help_text=help_text or "Sort order.")
