from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.audit import exports, selectors
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_chain_check, chain_message
from dangan.core.api import Pagination, paginated


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


FILTER_PARAMETERS = [
    OpenApiParameter("actor", str, description="用户名(精确)"),
    OpenApiParameter("action", str),
    OpenApiParameter("object_type", str),
    OpenApiParameter("object_id", str),
    OpenApiParameter("outcome", str, enum=AuditEntry.Outcome.values),
    OpenApiParameter("from", OpenApiTypes.DATE, description="起始日期(服务器时区,含)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="截止日期(服务器时区,含)"),
    OpenApiParameter("q", str, description="对象名称包含"),
]


class AuditListApi(APIView):
    """The audit trail, read-only, for auditors (SPEC §4). There is deliberately no
    PUT, PATCH or DELETE: entries are never edited or removed (STANDARDS 43)."""

    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(parameters=FILTER_PARAMETERS, responses=AuditEntryOutput(many=True))
    def get(self, request: Request) -> Response:
        policy.require(request.user, perms.AUDIT_VIEW)
        filters = selectors.audit_filters(request.query_params)
        entries = selectors.audit_list(request.user, filters=filters)
        return paginated(self, request, entries, AuditEntryOutput)


class ChainCheckOutput(serializers.Serializer[Any]):
    intact = serializers.BooleanField()
    seq = serializers.IntegerField(allow_null=True, help_text="the first entry found broken")
    reason = serializers.CharField(allow_null=True, help_text="why, as a code")
    message = serializers.CharField(help_text="the outcome in the reader's language")


class AuditChainCheckApi(APIView):
    """Recompute the hash chain now (STANDARDS 43: the trail cannot be altered unseen),
    as the auditor's page does; the check is itself recorded with its outcome."""

    @extend_schema(request=None, responses=ChainCheckOutput)
    def post(self, request: Request) -> Response:
        problem = audit_chain_check(actor=request.user)  # type: ignore[arg-type]
        body = {
            "intact": problem is None,
            "seq": problem.seq if problem else None,
            "reason": problem.reason if problem else None,
            "message": chain_message(problem),
        }
        return Response(ChainCheckOutput(body).data)


class AuditExportApi(APIView):
    """The filtered trail as an .xlsx workbook; the export is itself recorded."""

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={(200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request) -> FileResponse:
        policy.require(request.user, perms.AUDIT_EXPORT)
        filters = selectors.audit_filters(request.query_params)
        out, _rows = exports.audit_export(actor=request.user, filters=filters)  # type: ignore[arg-type]
        return FileResponse(
            out,
            as_attachment=True,
            filename=exports.export_filename(),
            content_type=exports.XLSX_TYPE,
        )
