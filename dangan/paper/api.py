"""The paper side through the API: prints of dossiers (and, below, of locations) and
inventory rounds. Prints answer the PDF the pages link to; every print is recorded."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.api import Pagination, paginated, valid_input
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import PDF, actor_of, pdf_response
from dangan.locations.models import Location
from dangan.paper import checks, inventory, printing
from dangan.paper.models import CheckKind, CheckRecord, InventoryRound

PDF_RESPONSE = {(200, PDF): OpenApiResponse(OpenApiTypes.BINARY)}


def _start(request: Request) -> int:
    text = str(request.query_params.get("start") or "0").strip()
    return int(text) if text.isdigit() else 0


class DossierPrintApi(APIView):
    """One form of one dossier: cover (档案袋封面), contents (档案袋文件清单), catalogue
    (卷内目录), notes (备考表) or label (脊背标签 on an A4 14-up sheet; `start` skips the
    labels already used)."""

    @extend_schema(responses=PDF_RESPONSE)
    def get(self, request: Request, pk: int, form: str) -> HttpResponse:
        actor = actor_of(request)
        content = printing.dossiers_print(actor=actor, form=form, ids=[pk], start=_start(request))
        return pdf_response(content, f"{form}-{pk}.pdf")


class DossierSelectionPrintApi(APIView):
    """One form of several dossiers (`ids=1,2,3`), one after another in one PDF."""

    @extend_schema(
        parameters=[OpenApiParameter("ids", str, description="档案 id,逗号分隔")],
        responses=PDF_RESPONSE,
    )
    def get(self, request: Request, form: str) -> HttpResponse:
        actor = actor_of(request)
        ids = [part for part in str(request.query_params.get("ids") or "").split(",") if part]
        content = printing.dossiers_print(actor=actor, form=form, ids=ids, start=_start(request))
        return pdf_response(content, f"{form}.pdf")


# --- Inventory rounds (盘点) ----------------------------------------------------------


class InventoryInput(serializers.Serializer[Any]):
    location = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    dossiers = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=20000
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ScanInput(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=200, trim_whitespace=False)


class CorrectInput(serializers.Serializer[Any]):
    dossier = serializers.IntegerField(min_value=1)


class ResolveInput(serializers.Serializer[Any]):
    resolution = serializers.CharField(max_length=200)


def round_out(found: InventoryRound) -> dict[str, Any]:
    payload = {
        "id": found.pk,
        "number": found.number,
        "status": found.status,
        "scope": found.scope_text,
        "location": found.location_id,
        "note": found.note,
        "started_by": found.started_by.username,
        "started_at": found.created_at,
        "closed_at": found.closed_at,
        "report_sha256": found.report_sha256,
    }
    results = found.result if found.status == "closed" else None
    payload.update(results or inventory.result_payload(inventory.round_results(found)))
    payload["tasks"] = [inventory.task_out(task) for task in found.discrepancies.all()]
    return payload


class InventoryRowOutput(serializers.Serializer[Any]):
    """A round in the list (its results: GET /api/v1/inventories/{id}/)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    scope = serializers.CharField(source="scope_text")


class InventoryListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(responses=InventoryRowOutput(many=True))
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DOSSIER_LOCATE)
        rounds = InventoryRound.objects.order_by("-created_at", "-id")
        return paginated(self, request, rounds, InventoryRowOutput)

    @extend_schema(request=InventoryInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DOSSIER_LOCATE)
        data = valid_input(InventoryInput, request)
        location = None
        if data.get("location"):
            location = Location.objects.filter(pk=data["location"]).first()
            if location is None:
                raise ApplicationError(_("存放位置不存在"), field="location")
        found = inventory.round_start(
            actor=actor,
            location=location,
            dossier_ids=data.get("dossiers") or [],
            note=data.get("note") or "",
        )
        return Response(round_out(found), status=status.HTTP_201_CREATED)


class InventoryDetailApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(round_out(inventory.access_round(actor_of(request), pk)))


class InventoryScanApi(APIView):
    """One scanned label: `text` is the bare archive number (a USB scanner types it) or
    the QR code's content. A repeated label, a label of another installation or of a
    destroyed dossier answers 400 and changes nothing; a closed round answers 409."""

    @extend_schema(request=ScanInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        found = inventory.access_round(actor, pk)
        data = valid_input(ScanInput, request)
        answer = inventory.round_scan(actor=actor, inventory=found, text=data["text"])
        dossier = answer.dossier
        return Response(
            {
                "outcome": answer.outcome,
                "message": answer.message,
                "dossier": (
                    {
                        "id": dossier.pk,
                        "archive_number": dossier.archive_number,
                        "title": dossier.title,
                        "location": " › ".join(dossier.location_parts),
                    }
                    if dossier is not None
                    else None
                ),
                "counts": answer.counts,
            }
        )


class InventoryCloseApi(APIView):
    """Close the round: found, missing, misplaced, on_loan and unknown, each with its
    count and items; a second close answers 409."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        found = inventory.access_round(actor, pk)
        return Response(round_out(inventory.round_close(actor=actor, inventory=found)))


class InventoryCorrectApi(APIView):
    """One click for a misplaced dossier: its place becomes the round's."""

    @extend_schema(request=CorrectInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        found = inventory.access_round(actor, pk)
        data = valid_input(CorrectInput, request)
        inventory.round_correct(actor=actor, inventory=found, dossier_id=data["dossier"])
        return Response(round_out(InventoryRound.objects.get(pk=found.pk)))


class InventoryTaskResolveApi(APIView):
    """Close a discrepancy the round left, with what was done (`resolution`)."""

    @extend_schema(request=ResolveInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int, task: int) -> Response:
        actor = actor_of(request)
        found = inventory.access_round(actor, pk)
        data = valid_input(ResolveInput, request)
        done = inventory.discrepancy_resolve(
            actor=actor, inventory=found, task_id=task, resolution=data["resolution"]
        )
        return Response(inventory.task_out(done))


class InventoryReportApi(APIView):
    """The closed round's report, the very bytes whose SHA-256 the audit trail keeps."""

    @extend_schema(responses=PDF_RESPONSE)
    def get(self, request: Request, pk: int) -> HttpResponse:
        found = inventory.access_round(actor_of(request), pk)
        if not found.report:
            raise NotFound(_("盘点尚未结束,还没有报告"))
        return pdf_response(bytes(found.report), f"{found.number}.pdf")


class CheckPlanInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=CheckKind.choices)
    every_days = serializers.IntegerField(min_value=1, max_value=366)
    location = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    next_due = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CheckPlanChange(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=CheckKind.choices, required=False)
    every_days = serializers.IntegerField(min_value=1, max_value=366, required=False)
    location = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    next_due = serializers.DateField(required=False)
    active = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CheckInput(serializers.Serializer[Any]):
    plan = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=CheckKind.choices, required=False)
    location = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    checked_on = serializers.DateField(required=False)
    outcome = serializers.ChoiceField(choices=CheckRecord.Outcome.choices, default="ok")
    findings = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    actions = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class CheckPlanListApi(APIView):
    """The periodic checks the archive room plans (labels, room, material, tidying)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        plans = checks.plans_for(actor_of(request))
        return Response({"results": [checks.plan_out(plan) for plan in plans]})

    @extend_schema(request=CheckPlanInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        policy.require(actor_of(request), perms.DOSSIER_LOCATE)
        data = valid_input(CheckPlanInput, request, strict=True)
        plan = checks.plan_create(actor=actor_of(request), **data)
        return Response(checks.plan_out(plan), status=status.HTTP_201_CREATED)


class CheckPlanDetailApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(checks.plan_out(checks.access_plan(actor_of(request), pk)))

    @extend_schema(request=CheckPlanChange, responses=OpenApiTypes.OBJECT)
    def patch(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        plan = checks.access_plan(actor, pk)
        data = valid_input(CheckPlanChange, request, strict=True)
        return Response(checks.plan_out(checks.plan_update(actor=actor, plan=plan, changes=data)))


class CheckListApi(APIView):
    """Checks done (the electronic 检查记录 / 档案整理记录表), newest first."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        records = checks.records_for(actor_of(request))
        kind = request.query_params.get("kind")
        if kind:
            records = records.filter(kind=kind)
        return Response({"results": [checks.record_out(r) for r in records[:500]]})

    @extend_schema(request=CheckInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        policy.require(actor_of(request), perms.DOSSIER_LOCATE)
        data = valid_input(CheckInput, request, strict=True)
        record = checks.check_record(actor=actor_of(request), **data)
        return Response(checks.record_out(record), status=status.HTTP_201_CREATED)
