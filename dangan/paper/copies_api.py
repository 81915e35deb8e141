"""Paper copies through the API (issue 27 §7): GET/POST /api/v1/paper-copies/, GET of one,
POST …/recall/, …/return/, …/destroy/."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.api import Pagination, paginated, text_param, valid_input
from dangan.core.http import actor_of
from dangan.paper import copies
from dangan.paper.models import PaperCopy


class PaperCopyOutput(serializers.ModelSerializer[PaperCopy]):
    issued_to = serializers.CharField(source="issued_to.username")
    issued_by = serializers.CharField(source="issued_by.username")
    dossiers = serializers.SerializerMethodField()
    overdue = serializers.BooleanField(source="is_overdue")

    class Meta:
        model = PaperCopy
        fields = [
            "id",
            "number",
            "title",
            "purpose",
            "copies",
            "dossiers",
            "status",
            "issued_to",
            "issued_by",
            "issued_at",
            "due_at",
            "overdue",
            "recalled_at",
            "recall_note",
            "returned_at",
            "returned_copies",
            "return_note",
            "destroyed_at",
            "destruction_method",
            "destruction_witness",
        ]

    def get_dossiers(self, obj: PaperCopy) -> list[str]:
        return sorted(d.archive_number for d in obj.dossiers.all())


class IssueInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    purpose = serializers.CharField(max_length=500)
    copies = serializers.IntegerField()
    issued_to = serializers.IntegerField(help_text="领取人的用户 id")
    due = serializers.DateTimeField(help_text="应还时间;只给日期时为当日结束")
    dossiers = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class RecallInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnInput(serializers.Serializer[Any]):
    returned_copies = serializers.IntegerField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DestroyInput(serializers.Serializer[Any]):
    method = serializers.CharField(max_length=100)
    witness = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class PaperCopyListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(
        parameters=[OpenApiParameter("status", str), OpenApiParameter("overdue", bool)],
        responses=PaperCopyOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        found = copies.copies_for(actor_of(request)).prefetch_related("dossiers")
        if status_code := text_param(request, "status"):
            found = found.filter(status=status_code)
        if request.query_params.get("overdue") in ("1", "true"):
            found = copies.overdue(found)
        return paginated(self, request, found, PaperCopyOutput)

    @extend_schema(request=IssueInput, responses={201: PaperCopyOutput})
    def post(self, request: Request) -> Response:
        policy.require(request.user, perms.CIRCULATION_LEND)
        data = valid_input(IssueInput, request)
        copy = copies.paper_copy_issue(
            actor=actor_of(request),
            title=data["title"],
            purpose=data["purpose"],
            copies=data["copies"],
            issued_to=data["issued_to"],
            due=data["due"],
            dossier_ids=data.get("dossiers") or [],
        )
        return Response(PaperCopyOutput(copy).data, status=status.HTTP_201_CREATED)


class PaperCopyDetailApi(APIView):
    @extend_schema(responses=PaperCopyOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(PaperCopyOutput(copies.access_copy(actor_of(request), pk)).data)


class PaperCopyRecallApi(APIView):
    @extend_schema(request=RecallInput, responses=PaperCopyOutput)
    def post(self, request: Request, pk: int) -> Response:
        copy = copies.access_copy(actor_of(request), pk)
        policy.require(request.user, perms.CIRCULATION_LEND)
        data = valid_input(RecallInput, request)
        copy = copies.paper_copy_recall(actor=actor_of(request), copy=copy, note=data["note"])
        return Response(PaperCopyOutput(copy).data)


class PaperCopyReturnApi(APIView):
    @extend_schema(request=ReturnInput, responses=PaperCopyOutput)
    def post(self, request: Request, pk: int) -> Response:
        copy = copies.access_copy(actor_of(request), pk)
        policy.require(request.user, perms.CIRCULATION_LEND)
        data = valid_input(ReturnInput, request)
        copy = copies.paper_copy_return(
            actor=actor_of(request),
            copy=copy,
            returned_copies=data["returned_copies"],
            note=data["note"],
        )
        return Response(PaperCopyOutput(copy).data)


class PaperCopyDestroyApi(APIView):
    @extend_schema(request=DestroyInput, responses=PaperCopyOutput)
    def post(self, request: Request, pk: int) -> Response:
        copy = copies.access_copy(actor_of(request), pk)
        policy.require(request.user, perms.CIRCULATION_LEND)
        data = valid_input(DestroyInput, request)
        copy = copies.paper_copy_destroy(
            actor=actor_of(request), copy=copy, method=data["method"], witness=data["witness"]
        )
        return Response(PaperCopyOutput(copy).data)
