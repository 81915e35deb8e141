"""Small pieces shared by the API modules."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.core.errors import ApplicationError


def paginated(view: APIView, request: Request, queryset: QuerySet[Any], serialize: Any) -> Response:
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response([serialize(obj) for obj in page or []])


def resolve(model: type[Model], value: Any, field: str, **filters: Any) -> Any:
    """An object named by id in a request body, or a field-named 400."""
    if value in (None, ""):
        return None
    try:
        key = int(value)
    except (TypeError, ValueError):
        raise ApplicationError(_("应为有效的编号"), field=field) from None
    obj = model._default_manager.filter(pk=key, **filters).first()
    if obj is None:
        raise ApplicationError(_("不存在"), field=field)
    return obj
