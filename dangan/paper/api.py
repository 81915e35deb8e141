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
from dangan.core.api import valid_input
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import PDF, actor_of, pdf_response
from dangan.locations.models import Location
from dangan.paper import inventory, printing
from dangan.paper.models import InventoryRound

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
    return payload


class InventoryListApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DOSSIER_LOCATE)
        rounds = InventoryRound.objects.select_related("started_by")[:100]
        return Response(
            [
                {"id": r.pk, "number": r.number, "status": r.status, "scope": r.scope_text}
                for r in rounds
            ]
        )

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


class InventoryReportApi(APIView):
    """The closed round's report, the very bytes whose SHA-256 the audit trail keeps."""

    @extend_schema(responses=PDF_RESPONSE)
    def get(self, request: Request, pk: int) -> HttpResponse:
        found = inventory.access_round(actor_of(request), pk)
        if not found.report:
            raise NotFound(_("盘点尚未结束,还没有报告"))
        return pdf_response(bytes(found.report), f"{found.number}.pdf")
