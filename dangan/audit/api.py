from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.audit.models import AuditEntry
from dangan.core.api import paginated, text_param


class AuditEntryOutput(serializers.ModelSerializer[AuditEntry]):
    class Meta:
        model = AuditEntry
        fields = [
            "seq",
            "at",
            "actor",
            "actor_name",
            "roles",
            "ip",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "outcome",
            "detail",
            "entry_hash",
        ]


class AuditListApi(APIView):
    """The audit trail, read-only, for auditors (SPEC §4)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("actor", str),
            OpenApiParameter("action", str),
            OpenApiParameter("object_type", str),
            OpenApiParameter("object_id", str),
        ],
        responses=AuditEntryOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, perms.AUDIT_VIEW)
        entries = AuditEntry.objects.order_by("-seq")
        filters: dict[str, Any] = {}
        if actor := text_param(request, "actor", 150):
            filters["actor_name"] = actor
        for key in ("action", "object_type", "object_id"):
            if value := text_param(request, key):
                filters[key] = value
        return paginated(
            self, request, entries.filter(**filters), lambda e: AuditEntryOutput(e).data
        )
