"""The text/calendar renderer of the feeds."""

from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer


class ICalendarRenderer(BaseRenderer):
    """Lets a client that accepts only text/calendar reach the feed; errors still come out as JSON text."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, str):
            return data.encode("utf-8")
        return JSONRenderer().render(data)
