"""年度立卷 through the API (archives.volumes): the closed years, closing one (POST; with
`dry_run` what it would bind), a closed year's volumes with the catalogue of the dossiers
bound apart, and both catalogues as PDF."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives import volumes
from dangan.archives.lifecycle import status_label
from dangan.archives.models import Dossier, YearVolume
from dangan.archives.selectors import archive_type_by_key, department_by_code
from dangan.core.api import Pagination, paginated, text_param, valid_input
from dangan.core.errors import ApplicationError
from dangan.core.http import PDF, actor_of, pdf_response

PRINT_FORMS = ("volumes", "apart")


class YearVolumeOutput(serializers.ModelSerializer[YearVolume]):
    archive_type = serializers.CharField(source="archive_type.code")
    department = serializers.SerializerMethodField()
    closed_by = serializers.SerializerMethodField()

    class Meta:
        model = YearVolume
        fields = [
            "id",
            "archive_type",
            "department",
            "year",
            "cross_year",
            "volumes",
            "apart",
            "closed_by",
            "closed_at",
            "note",
        ]

    def get_department(self, obj: YearVolume) -> str | None:
        """The department's code; null when the year was closed for all departments."""
        return obj.department.code if obj.department else None

    def get_closed_by(self, obj: YearVolume) -> str:
        return obj.closed_by.username if obj.closed_by else ""


class BoundDossierOutput(serializers.ModelSerializer[Dossier]):
    status_label = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = [
            "id",
            "archive_number",
            "title",
            "volume_year",
            "status",
            "status_label",
            "volume_number",
            "bound_apart",
        ]

    def get_status_label(self, obj: Dossier) -> str:
        return status_label(obj.archive_type, obj.status)


class YearVolumeDetailOutput(YearVolumeOutput):
    dossiers = serializers.SerializerMethodField()
    catalogue_apart = serializers.SerializerMethodField()

    class Meta(YearVolumeOutput.Meta):
        fields = [*YearVolumeOutput.Meta.fields, "dossiers", "catalogue_apart"]

    def _bound(self, obj: YearVolume, apart: bool) -> list[dict[str, Any]]:
        found = volumes.volume_dossiers(self.context["actor"], obj, apart=apart)
        return list(BoundDossierOutput(found, many=True).data)

    @extend_schema_field(BoundDossierOutput(many=True))
    def get_dossiers(self, obj: YearVolume) -> list[dict[str, Any]]:
        """The year's volumes the caller may see, by 卷号."""
        return self._bound(obj, False)

    @extend_schema_field(BoundDossierOutput(many=True))
    def get_catalogue_apart(self, obj: YearVolume) -> list[dict[str, Any]]:
        """The terminated and moved-out dossiers bound apart, by their own 卷号."""
        return self._bound(obj, True)


class PlannedDossierOutput(serializers.ModelSerializer[Dossier]):
    class Meta:
        model = Dossier
        fields = ["id", "archive_number", "title", "volume_year", "status"]


class YearPlanOutput(serializers.Serializer[Any]):
    """What a close would bind (dry_run): numbered in this order."""

    volumes = PlannedDossierOutput(many=True)
    apart = PlannedDossierOutput(many=True)
    on_loan = PlannedDossierOutput(many=True)
    hidden = serializers.IntegerField(help_text="不在调用者可登记范围内的卷数(有则不能立卷)")
    closed = serializers.IntegerField(
        allow_null=True, help_text="已立卷的年度记录 id:本次为补充立卷"
    )


class YearCloseInput(serializers.Serializer[Any]):
    archive_type = serializers.CharField(max_length=16, help_text="档案类型代码,如 CAR-SALE")
    year = serializers.IntegerField(help_text="年度,如 2025(不晚于今年)")
    department = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=32,
        help_text="部门代码;不填为全部部门",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=volumes.NOTE_MAX)
    dry_run = serializers.BooleanField(required=False, default=False)


class YearVolumeListApi(APIView):
    pagination_class = Pagination

    @extend_schema(
        parameters=[
            OpenApiParameter("archive_type", str, description="档案类型代码"),
            OpenApiParameter("year", int, description="年度"),
        ],
        responses=YearVolumeOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DOSSIER_STATUS)
        found = volumes.volumes_for(actor)
        code = text_param(request, "archive_type", 16)
        if code:
            found = found.filter(archive_type__code=code)
        year = text_param(request, "year", 4)
        if year:
            if not year.isdigit():
                raise ApplicationError(_("年度应为四位数字,如 2025"), field="year")
            found = found.filter(year=int(year))
        return paginated(self, request, found, YearVolumeOutput)

    @extend_schema(
        request=YearCloseInput,
        responses={201: YearVolumeDetailOutput, 200: YearPlanOutput},
    )
    def post(self, request: Request) -> Response:
        """Close a year for a type (and a department): 201 with its volumes. 409 when it is
        closed already with nothing filed since, closed for all departments (or by
        department), or a dossier of it is on loan; 403 when a dossier of it is not the
        caller's to register; 400 naming the field otherwise. With `dry_run`: 200 with
        what it would bind, nothing written."""
        actor = actor_of(request)
        policy.require(actor, perms.DOSSIER_STATUS)  # before the body says anything
        data = valid_input(YearCloseInput, request, strict=True)
        archive_type = archive_type_by_key(data["archive_type"])
        department = department_by_code(data.get("department"))
        if data["dry_run"]:
            plan = volumes.year_plan(
                actor=actor, archive_type=archive_type, year=data["year"], department=department
            )
            body = {
                "volumes": plan.volumes,
                "apart": plan.apart,
                "on_loan": plan.on_loan,
                "hidden": plan.hidden,
                "closed": plan.closed.pk if plan.closed else None,
            }
            return Response(YearPlanOutput(body).data)
        volume = volumes.year_close(
            actor=actor,
            archive_type=archive_type,
            year=data["year"],
            department=department,
            note=data.get("note") or "",
        )
        out = YearVolumeDetailOutput(volume, context={"actor": actor})
        return Response(out.data, status=status.HTTP_201_CREATED)


class YearVolumeDetailApi(APIView):
    @extend_schema(responses=YearVolumeDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        volume = volumes.access_volume(actor, pk)
        return Response(YearVolumeDetailOutput(volume, context={"actor": actor}).data)


class YearVolumePrintApi(APIView):
    """A closed year's catalogue as PDF: `volumes` (案卷目录 of the year's volumes) or
    `apart` (另行装订目录 of the terminated and moved-out dossiers)."""

    @extend_schema(responses={(200, PDF): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request, pk: int, form: str) -> HttpResponse:
        from dangan.paper.lists import year_volume_catalogue_pdf

        actor = actor_of(request)
        volume = volumes.access_volume(actor, pk)
        content = year_volume_catalogue_pdf(actor=actor, volume=volume, apart=form == "apart")
        return pdf_response(content, f"year-{volume.year}-{volume.pk}-{form}.pdf")
