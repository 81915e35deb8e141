"""The paper side through the API: prints of dossiers (and, below, of locations) and
inventory rounds. Prints answer the PDF the pages link to; every print is recorded."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from dangan.core.http import PDF, actor_of, pdf_response
from dangan.paper import printing

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
