"""JSON-lines logging with the request's id, user and clinic.

Log calls must never carry patient data: messages name ids and actions, not
names, phones or search terms.
"""

import json
import logging
from datetime import UTC, datetime

from apps.core import context

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RequestContextFilter(logging.Filter):
    """Stamps every record with the current request's context."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        record.request_id = ctx.request_id or None
        record.user_id = ctx.user_id
        record.clinic_id = ctx.clinic_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            # django.request passes the request object, whose repr holds the
            # query string (search terms can be patient names): never log it.
            if key == "request":
                continue
            if key not in _STANDARD_ATTRS and not key.startswith("_") and value is not None:
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)
