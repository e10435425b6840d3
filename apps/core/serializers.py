"""Serializer bases shared by every API."""

import unicodedata
from typing import Any

from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not declare: a typo must not be silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def no_control_characters(value: str) -> None:
    """Refuses control characters (NUL, escapes, newlines) in a one-line text field."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise serializers.ValidationError("Control characters are not allowed.")
