"""Per-request context (request id, client address, user, clinic) for logs and audit.

Context variables, not thread-locals: they are reset at the end of every
request by RequestIdMiddleware and are safe under threads and async.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str = ""
    client_ip: str | None = None
    user_id: str | None = None
    clinic_id: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("clinicops_request", default=None)


def current() -> RequestContext:
    """The running request's context, or an empty one outside requests (tasks, shell)."""
    return _current.get() or RequestContext()


def begin(ctx: RequestContext) -> object:
    return _current.set(ctx)


def end(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def set_user(user_id: object) -> None:
    ctx = _current.get()
    if ctx is not None:
        ctx.user_id = str(user_id) if user_id is not None else None


def set_clinic(clinic_id: object) -> None:
    ctx = _current.get()
    if ctx is not None:
        ctx.clinic_id = str(clinic_id) if clinic_id is not None else None
