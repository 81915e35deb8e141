from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.forms import DossierFilterForm
from dangan.core import xlsx
from dangan.core.api import valid_input
from dangan.core.http import actor_of
from dangan.customers.forms import CustomerFilterForm
from dangan.importer import exports, services
from dangan.importer.models import ImportJob
from dangan.importer.tasks import import_job_enqueue
from dangan.search import api as search_api


def job_out(job: ImportJob, *, rows: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": job.pk,
        "file": job.original_name,
        "kind": job.kind,
        "archive_type": job.archive_type,
        "dry_run": job.dry_run,
        "status": job.status,
        "mapping": job.mapping,
        "progress": {
            "total": job.total_rows,
            "processed": job.processed_rows,
            "committed": job.committed_rows,
            "errors": job.error_rows,
            "percent": job.percent,
        },
        "columns": job.mapping,
        "unused_columns": services.unused_columns(job.mapping),
        "summary": job.report,
        "error": job.error,
        "resumable": services.job_resumable(job),
        "cancellable": services.job_cancellable(job),
        "created_at": job.created_at,
    }
    if rows:
        data["rows"] = job.row_reports()
    return data


class ImportInput(serializers.Serializer[Any]):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=True)
    archive_type = serializers.CharField(required=False, allow_blank=True, max_length=40)
    map = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        help_text="表头=字段 (e.g. 手机号(选填)=mobile); 表头= leaves a column out",
    )


class ImportListApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ImportInput, responses={202: None})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DATA_IMPORT)
        data = valid_input(ImportInput, request)
        job = services.import_job_create(
            actor=actor,
            upload=data["file"],
            archive_type=data.get("archive_type", ""),
            dry_run=data["dry_run"],
            overrides=services.parse_map(data["map"]),
        )
        import_job_enqueue(job)
        return Response(job_out(job, rows=False), status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(APIView):
    @extend_schema(responses={200: None})
    def get(self, request: Request, pk: int) -> Response:
        job = services.job_for(actor_of(request), pk)
        return Response(job_out(job))


class ImportResumeApi(APIView):
    @extend_schema(request=None, responses={202: None})
    def post(self, request: Request, pk: int) -> Response:
        """Go on with a failed or interrupted job after its last committed batch."""
        job = services.job_for(actor_of(request), pk)
        job = services.import_job_resume(actor=actor_of(request), job=job)
        import_job_enqueue(job)
        return Response(job_out(job, rows=False), status=status.HTTP_202_ACCEPTED)


class ImportCancelApi(APIView):
    @extend_schema(request=None, responses={200: None})
    def post(self, request: Request, pk: int) -> Response:
        """Give up a failed or interrupted job, or a dry run: its sheet is deleted."""
        job = services.job_for(actor_of(request), pk)
        job = services.import_job_cancel(actor=actor_of(request), job=job)
        return Response(job_out(job, rows=False))


class ImportRefusedApi(APIView):
    @extend_schema(responses={(200, exports.XLSX_TYPE): bytes})
    def get(self, request: Request, pk: int) -> FileResponse:
        """The job's refused rows: the sheet's columns and 错误原因, to mend and import."""
        job = services.job_for(actor_of(request), pk)
        out, _count = services.refused_xlsx(actor=actor_of(request), job=job)
        return xlsx.response(out, f"import-{job.pk}-refused.xlsx")


class ImportSampleApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("archive_type", str)],
        responses={(200, exports.XLSX_TYPE): bytes},
    )
    def get(self, request: Request) -> FileResponse:
        """A sample sheet to fill in: the headers, an example row, the type's fields."""
        content, name = services.sample_sheet(
            actor=actor_of(request), archive_type=request.query_params.get("archive_type", "")
        )
        return xlsx.response(content, name)


def customer_filters(request: HttpRequest | Request) -> dict[str, Any]:
    """The customer list's own filter form, so an export is exactly the list one sees."""
    form = CustomerFilterForm(request.GET, owners=policy.assignable_owners(request.user))
    return form.cleaned_data if form.is_valid() else {}


def dossier_filters(request: HttpRequest | Request) -> dict[str, Any]:
    form = DossierFilterForm(request.GET)
    return form.cleaned_data if form.is_valid() else {}


def _xlsx(out: Any, name: str) -> FileResponse:
    return xlsx.response(out, name)


class CustomerExportApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter(k, str) for k in ("q", "kind", "tier", "stage")],
        responses={(200, exports.XLSX_TYPE): bytes},
    )
    def get(self, request: Request) -> FileResponse:
        out, _count = exports.customers_xlsx(
            actor=actor_of(request), filters=customer_filters(request)
        )
        return _xlsx(out, "customers.xlsx")


class DossierExportApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter(k, str) for k in ("q", "archive_type", "status")],
        responses={(200, exports.XLSX_TYPE): bytes},
    )
    def get(self, request: Request) -> FileResponse:
        out, _count = exports.dossiers_xlsx(
            actor=actor_of(request), filters=dossier_filters(request)
        )
        return _xlsx(out, "dossiers.xlsx")


class SearchExportApi(APIView):
    @extend_schema(parameters=search_api.PARAMETERS, responses={(200, exports.XLSX_TYPE): bytes})
    def get(self, request: Request) -> FileResponse:
        raw, filters = search_api.query_params(request)
        out, _count = exports.search_xlsx(actor=actor_of(request), raw=raw, filters=filters)
        return _xlsx(out, "search.xlsx")
