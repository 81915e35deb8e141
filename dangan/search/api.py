from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.core.api import id_param, text_param
from dangan.core.http import actor_of
from dangan.search import selectors, services

PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description="姓名/拼音首字母、电话、证件号、档号、房号、VIN、会员号、文件内容",
    ),
    *[OpenApiParameter(key, str) for key in selectors.FILTER_KEYS],
]


def query_params(request: Request) -> tuple[str, dict[str, Any]]:
    """The query and its filters from the query string (the search and its export)."""
    # Long queries are cut, not refused (issue 6: 10,000 characters never an error).
    raw = text_param(request, "q", max_length=selectors.MAX_QUERY * 2)
    filters: dict[str, Any] = {
        key: text_param(request, key, 40)
        for key in ("archive_type", "status", "date_from", "date_to", "room")
    }
    filters["department"] = id_param(request, "department")
    filters["owner"] = id_param(request, "owner")
    return raw, filters


class SearchApi(APIView):
    @extend_schema(parameters=PARAMETERS, responses={200: dict})
    def get(self, request: Request) -> Response:
        raw, filters = query_params(request)
        result = services.search_run(actor=actor_of(request), raw=raw, filters=filters)
        return Response(
            {
                "query": result.query,
                "error": result.error,
                "total": result.total,
                "groups": [
                    {
                        "kind": group.kind,
                        "label": group.label,
                        "count": group.count,
                        "count_is_lower_bound": group.more,
                        "results": [
                            {
                                "kind": hit.kind,
                                "id": hit.pk,
                                "title": str(hit.title),
                                "subtitle": str(hit.subtitle),
                                "url": hit.url,
                                "score": hit.score,
                                "matched": hit.reasons,
                                **hit.extra,
                            }
                            for hit in group.hits
                        ],
                    }
                    for group in result.groups
                ],
            }
        )
