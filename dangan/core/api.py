"""Small pieces shared by the API modules."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from dangan.core.errors import ApplicationError


def _count_param(request: Request, key: str, *, minimum: int) -> int | None:
    """A whole number of at least `minimum` from the query string; None when absent or
    not one (junk is ignored, as DRF's own pagination does)."""
    value = request.query_params.get(key, "")
    if not (value.isascii() and value.isdigit()) or int(value) < minimum:
        return None
    return int(value)


class Pagination(LimitOffsetPagination):
    """The pagination of every API list: ?limit=&offset=, or as many clients write it
    ?page_size=&page= (pages counted from 1), answering count/next/previous/results (the
    links in limit/offset form). At most MAX_LIMIT rows a page; a value that is not a
    count is ignored (#29: ?page_size=1 was ignored and answered the default 50 rows).
    A list view declares it as its pagination_class, which is what makes the OpenAPI
    document describe its answer as that page rather than a bare array."""

    MAX_LIMIT = 500
    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int | None:
        limit = _count_param(request, self.limit_query_param, minimum=1)
        if limit is None:
            limit = _count_param(request, "page_size", minimum=1)
        return min(limit, self.MAX_LIMIT) if limit is not None else self.default_limit

    def get_offset(self, request: Request) -> int:
        offset = _count_param(request, self.offset_query_param, minimum=0)
        if offset is not None:
            return offset
        page = _count_param(request, "page", minimum=1)
        return (page - 1) * (self.limit or 0) if page is not None else 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        params += [
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": "Rows per page (same as limit)",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.MAX_LIMIT},
            },
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number from 1 (with page_size or limit; ignored with offset)",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
        return params


def paginated(
    view: APIView,
    request: Request,
    queryset: QuerySet[Any],
    output: type[Serializer[Any]],
    context: dict[str, Any] | None = None,
) -> Response:
    """One page of `queryset`, serialized by `output` (many=True: the serializer's fields
    are built once for the page; a ModelSerializer built per row spent most of a list's
    time building the same fields again, #29). The view must declare its
    pagination_class, so that its schema says what it answers."""
    pagination_class = getattr(view, "pagination_class", None)
    if pagination_class is None:
        raise TypeError(f"{type(view).__name__} answers a paginated list: set pagination_class")
    paginator: LimitOffsetPagination = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = output(page or [], many=True, context=context or {}).data
    return paginator.get_paginated_response(data)


# The largest primary key any supported database stores (signed 64-bit).
MAX_ID = 2**63 - 1


def id_param(request: Request, key: str) -> int | None:
    """An optional numeric filter from the query string; a bad value is a field-named 400
    (never a 500 from an unconvertible or out-of-range number reaching the database)."""
    value = request.query_params.get(key, "")
    if value == "":
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
        raise ApplicationError(_("应为有效的编号"), field=key)
    return int(value)


def valid_input(
    serializer_class: type[Serializer[Any]],
    request: Request,
    *,
    strict: bool = False,
    **kwargs: Any,
) -> Any:
    """The request body checked by `serializer_class`: its validated data, or a field-named
    400 (DRF's ValidationError). With `strict`, a field the serializer does not know is a 400
    naming it, not silently ignored."""
    if strict and hasattr(request.data, "keys"):
        extra = sorted(set(request.data.keys()) - set(serializer_class(**kwargs).fields))
        if extra:
            raise ApplicationError(_("未知的字段"), field=extra[0])
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def year_param(request: Request, key: str = "year", *, low: int, high: int) -> int:
    """An optional year from the query string, this year if absent; a value that is not a
    year from `low` to `high` is a field-named 400."""
    text = request.query_params.get(key, "").strip()
    if not text:
        return timezone.localdate().year
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ApplicationError(
            _("年份应为 %(low)s–%(high)s 之间的四位数字") % {"low": low, "high": high}, field=key
        )
    return int(text)


def text_param(request: Request, key: str, max_length: int = 100) -> str:
    """An optional text filter, cut to `max_length`; NUL is refused (PostgreSQL rejects it)."""
    value = request.query_params.get(key, "")
    if "\x00" in value:
        raise ApplicationError(_("包含不允许的控制字符"), field=key)
    return value[:max_length]


def resolve(model: type[Model], value: Any, field: str, **filters: Any) -> Any:
    """An object named by id in a request body, or a field-named 400."""
    if value in (None, ""):
        return None
    try:
        key = int(value)
    except (TypeError, ValueError):
        raise ApplicationError(_("应为有效的编号"), field=field) from None
    if not 0 < key <= MAX_ID:
        raise ApplicationError(_("应为有效的编号"), field=field)
    obj = model._default_manager.filter(pk=key, **filters).first()
    if obj is None:
        raise ApplicationError(_("不存在"), field=field)
    return obj
