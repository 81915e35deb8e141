from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department
from dangan.archives import company, services
from dangan.archives.checklist import dossier_checklist
from dangan.archives.models import ArchiveType, ChecklistItem, Dossier
from dangan.archives.selectors import archive_type_by_key, department_by_code
from dangan.changes.api import ChangeRequestOutput, change_request_out
from dangan.changes.models import ChangeRequest
from dangan.core.api import Pagination, id_param, paginated, text_param, valid_input
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import actor_of
from dangan.rules import schema
from dangan.rules import selectors as rule_selectors
from dangan.rules import services as rule_services
from dangan.rules.api import VersionOutput, body_of
from dangan.rules.models import RuleVersion


class ChecklistItemOutput(serializers.ModelSerializer[ChecklistItem]):
    class Meta:
        model = ChecklistItem
        fields = ["id", "code", "position", *schema.ITEM_COLUMNS]


class ArchiveTypeOutput(serializers.ModelSerializer[ArchiveType]):
    checklist = ChecklistItemOutput(many=True, source="items")
    disposal = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()

    class Meta:
        model = ArchiveType
        fields = ["id", "code", *schema.TYPE_COLUMNS, "checklist", "disposal", "version"]
        # What PUT accepts back: all but these (and each checklist item's id and position).
        read_only_fields = ["id", "code", "source", "version"]

    def get_disposal(self, obj: ArchiveType) -> dict[str, Any]:
        from dangan.disposal.services import disposal_spec_of

        return disposal_spec_of(obj).stored()

    def get_version(self, obj: ArchiveType) -> int:
        return rule_services.archive_type_version(obj).number


def _archive_types_visible(request: Request) -> None:
    policy.require_any(request.user, perms.ARCHIVE_TYPE_MANAGE, perms.DOSSIER_VIEW)


class ArchiveTypeListApi(APIView):
    @extend_schema(responses=ArchiveTypeOutput(many=True))
    def get(self, request: Request) -> Response:
        _archive_types_visible(request)
        types = ArchiveType.objects.prefetch_related("items").order_by("id")
        return Response(ArchiveTypeOutput(types, many=True).data)


class ArchiveTypeDetailApi(APIView):
    @extend_schema(responses=ArchiveTypeOutput)
    def get(self, request: Request, key: str) -> Response:
        _archive_types_visible(request)
        return Response(ArchiveTypeOutput(archive_type_by_key(key, missing=404)).data)

    @extend_schema(request=ArchiveTypeOutput, responses=ArchiveTypeOutput)
    def put(self, request: Request, key: str) -> Response:
        """Replace the type's rules with the body: the shape GET answers, read-only fields
        (id, code, source, version; an item's id and position) ignored. A 400 names each
        bad section (`deadline`, `penalties`, …); nothing is saved then."""
        policy.require(request.user, perms.ARCHIVE_TYPE_MANAGE)
        archive_type = archive_type_by_key(key, missing=404)
        data = {
            name: value
            for name, value in body_of(request).items()
            if name not in ("id", "code", "source", "version")
        }
        data["source"] = archive_type.source
        archive_type = rule_services.archive_type_rules_save(
            actor=actor_of(request), archive_type=archive_type, data=data
        )
        return Response(ArchiveTypeOutput(archive_type).data)


class ArchiveTypeVersionsApi(APIView):
    @extend_schema(responses=VersionOutput(many=True))
    def get(self, request: Request, key: str) -> Response:
        _archive_types_visible(request)
        archive_type = archive_type_by_key(key, missing=404)
        rule_services.archive_type_version(archive_type)
        versions = rule_selectors.rule_versions(RuleVersion.Subject.ARCHIVE_TYPE, archive_type.pk)
        return Response(VersionOutput(versions, many=True).data)


class DossierOutput(serializers.ModelSerializer[Dossier]):
    archive_type: serializers.SlugRelatedField[ArchiveType] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    # A company file's keeping department; null for a customer's dossier.
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    location = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = [
            "id",
            "archive_number",
            "customer",
            "department",
            "archive_type",
            "title",
            "status",
            "confidentiality",
            "retention",
            "volume_year",
            "fields",
            "location",
            "created_at",
        ]

    def get_location(self, obj: Dossier) -> dict[str, Any]:
        place: dict[str, Any] = {
            name.removeprefix("location_"): getattr(obj, name) for name in Dossier.LOCATION_FIELDS
        }
        place["node"] = obj.location_node_id  # the archive room's place (/api/v1/locations/)
        return place


class LocationInput(serializers.Serializer[Any]):
    room = serializers.CharField(required=False, allow_blank=True, max_length=40)
    cabinet = serializers.CharField(required=False, allow_blank=True, max_length=40)
    shelf = serializers.CharField(required=False, allow_blank=True, max_length=40)
    box = serializers.CharField(required=False, allow_blank=True, max_length=40)
    position = serializers.CharField(required=False, allow_blank=True, max_length=40)
    # Or a place of the archive room's tree: its texts follow from it.
    node = serializers.IntegerField(required=False, allow_null=True, min_value=1)


def _check_custom_values(value: dict[str, Any]) -> dict[str, Any]:
    """Shape only: a NUL can be neither shown nor stored (PostgreSQL's jsonb refuses it)."""
    for key, item in value.items():
        if "\x00" in str(key) or (isinstance(item, str) and "\x00" in item):
            raise ApplicationError(_("包含不允许的控制字符"), field=f"fields.{key}")
    return value


class DossierInput(serializers.Serializer[Any]):
    customer = serializers.IntegerField(
        required=False, allow_null=True, help_text="客户编号;公司档案(非客户档案类型)留空"
    )
    department = serializers.CharField(
        required=False, allow_blank=True, help_text="公司档案的所属部门(部门代码)"
    )
    archive_type = serializers.CharField(help_text="类别代码或编号")
    # DRF takes declared fields out of the class body, so "fields" is safe here.
    fields = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    # Absent: the archive type's default 密级.
    confidentiality = serializers.ChoiceField(
        choices=Dossier.Confidentiality.choices, required=False
    )
    volume_year = serializers.IntegerField(required=False, allow_null=True)
    location = LocationInput(required=False)

    def validate_fields(self, value: dict[str, Any]) -> dict[str, Any]:
        return _check_custom_values(value)


class DossierPatchInput(serializers.Serializer[Any]):
    title = serializers.CharField(required=False, max_length=200)
    confidentiality = serializers.ChoiceField(
        choices=Dossier.Confidentiality.choices, required=False
    )
    fields = serializers.DictField(required=False)  # type: ignore[assignment]
    location = LocationInput(required=False)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="修改原因(按档案类型的变更控制)",
    )

    def validate_fields(self, value: dict[str, Any]) -> dict[str, Any]:
        return _check_custom_values(value)


class DossierListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(
        parameters=[
            OpenApiParameter("customer", int),
            OpenApiParameter("archive_type", str),
            OpenApiParameter("status", str),
        ],
        responses=DossierOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, perms.DOSSIER_VIEW)
        dossiers = policy.dossiers_for(request.user).select_related("archive_type")
        customer = id_param(request, "customer")
        if customer is not None:
            dossiers = dossiers.filter(customer_id=customer)
        if archive_type := text_param(request, "archive_type"):
            dossiers = dossiers.filter(archive_type__code=archive_type)
        if status_code := text_param(request, "status"):
            dossiers = dossiers.filter(status=status_code)
        return paginated(self, request, dossiers.order_by("-id"), DossierOutput)

    @extend_schema(request=DossierInput, responses={201: DossierOutput})
    def post(self, request: Request) -> Response:
        policy.require(request.user, perms.DOSSIER_CREATE)
        data = valid_input(DossierInput, request)
        archive_type = archive_type_by_key(data["archive_type"])
        if archive_type.customer_less:
            return _company_dossier(request, data, archive_type)
        if data.get("customer") is None:
            raise ApplicationError(_("请指定客户"), field="customer")
        try:
            customer = policy.access_customer(request.user, data["customer"])
        except NotFound:
            # A customer the caller cannot see is reported like a missing one.
            raise ApplicationError(_("客户不存在或您无权查看"), field="customer") from None
        dossier = services.dossier_create(
            actor=actor_of(request),
            customer=customer,
            archive_type=archive_type,
            fields=data.get("fields") or {},
            title=data.get("title") or "",
            confidentiality=data.get("confidentiality") or None,
            volume_year=data.get("volume_year"),
            location=data.get("location") or {},
        )
        return Response(DossierOutput(dossier).data, status=status.HTTP_201_CREATED)


def _company_dossier(request: Request, data: Any, archive_type: ArchiveType) -> Response:
    """A company file (customer-less type): filed under a department, not a customer."""
    if data.get("customer") is not None:
        raise ApplicationError(_("公司档案不属于客户"), field="customer")
    department = department_by_code(data.get("department"))
    if department is None:
        department = getattr(request.user, "department", None)
    if department is None:
        raise ApplicationError(_("请指定所属部门"), field="department")
    dossier = company.company_dossier_create(
        actor=actor_of(request),
        archive_type=archive_type,
        department=department,
        title=data.get("title") or "",
        fields=data.get("fields") or {},
        confidentiality=data.get("confidentiality") or "normal",
        volume_year=data.get("volume_year"),
        location=data.get("location") or {},
    )
    return Response(DossierOutput(dossier).data, status=status.HTTP_201_CREATED)


class DossierDetailApi(APIView):
    @extend_schema(responses=DossierOutput)
    def get(self, request: Request, pk: int) -> Response:
        dossier = services.dossier_open(actor=actor_of(request), pk=pk)
        return Response(DossierOutput(dossier).data)

    @extend_schema(
        request=DossierPatchInput, responses={200: DossierOutput, 202: ChangeRequestOutput}
    )
    def patch(self, request: Request, pk: int) -> Response:
        """200 with the dossier when the change is applied; 202 with the change request
        when its fields need approval (the type's change control)."""
        dossier = policy.access_dossier(request.user, pk)
        if isinstance(request.data, dict):
            # A status or an unknown field is refused by name, never silently dropped.
            services.check_change_keys({k: v for k, v in request.data.items() if k != "reason"})
        data = dict(valid_input(DossierPatchInput, request))
        reason = data.pop("reason", "")
        # One service, one transaction: every permission first, then all or nothing.
        result = services.dossier_update(
            actor=actor_of(request), dossier=dossier, changes=data, reason=reason
        )
        if isinstance(result, ChangeRequest):
            body = change_request_out(request.user, result)
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return Response(DossierOutput(result).data)


class ChecklistRowOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    group = serializers.CharField()
    requirement = serializers.CharField()
    applicable = serializers.BooleanField()
    required = serializers.BooleanField()  # type: ignore[assignment]  # as "fields" above
    present = serializers.BooleanField()
    # Its pieces were destroyed when their own retention ran out: gone lawfully, not missing.
    disposed = serializers.BooleanField()
    documents = serializers.ListField(child=serializers.IntegerField())


class DossierChecklistApi(APIView):
    @extend_schema(responses=ChecklistRowOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        dossier = policy.access_dossier(request.user, pk)
        checklist = dossier_checklist(dossier)
        return Response(
            [
                {
                    "id": row.item.pk,
                    "code": row.item.code,
                    "name": row.item.name,
                    "group": row.item.group,
                    "requirement": row.item.requirement,
                    "applicable": row.applicable,
                    "required": row.required,
                    "present": row.present,
                    "disposed": row.disposed,
                    "documents": [doc.pk for doc in row.documents],
                }
                for row in checklist.rows
            ]
        )
