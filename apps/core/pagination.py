"""Page-number pagination without COUNT(*).

A count roughly halves list and search throughput on large tables; clients
need "is there a next page", which one extra row answers.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

# Far past any real list, and small enough that OFFSET (page x size) stays a bigint.
MAX_PAGE = 1_000_000


def _positive_int(raw: str | None, name: str, default: int, maximum: int | None = None) -> int:
    if raw in (None, ""):
        return default
    if len(raw) > 20:
        raise ValidationError({name: ["Must be a whole number."]})
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["Must be a whole number."]}) from None
    if value < 1:
        raise ValidationError({name: ["Must be 1 or more."]})
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"Must be {maximum} or less."]})
    return value


class PagePagination(BasePagination):
    """``?page=N&page_size=M`` (M capped at MAX_PAGE_SIZE); body ``{results, next, previous}``."""

    page_query_param = "page"
    page_size_query_param = "page_size"
    # A view may allow larger pages than settings.MAX_PAGE_SIZE (e.g. a day's appointments).
    max_page_size: int | None = None

    def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.page = _positive_int(request.query_params.get(self.page_query_param), "page", 1, MAX_PAGE)
        requested = _positive_int(
            request.query_params.get(self.page_query_param + "_size"),
            "page_size",
            settings.DEFAULT_PAGE_SIZE,
        )
        self.page_size = min(requested, self.max_page_size or settings.MAX_PAGE_SIZE)
        offset = (self.page - 1) * self.page_size
        rows = list(queryset[offset : offset + self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        return rows[: self.page_size]

    def get_paginated_response(self, data: Any) -> Response:
        url = self.request.build_absolute_uri()
        next_url = replace_query_param(url, self.page_query_param, self.page + 1) if self.has_next else None
        previous_url = None
        if self.page > 1:
            previous_url = (
                replace_query_param(url, self.page_query_param, self.page - 1)
                if self.page > 2
                else remove_query_param(url, self.page_query_param)
            )
        return Response({"results": data, "next": next_url, "previous": previous_url})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results", "next", "previous"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.MAX_PAGE_SIZE},
            },
        ]
