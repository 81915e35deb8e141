"""REST API for hand-overs (issue 4 §5): create, list, detail, verify, sign."""

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
from dangan.accounts.models import Department, User
from dangan.core.api import MAX_ID, Pagination, paginated, resolve, text_param, valid_input
from dangan.core.errors import ApplicationError
from dangan.core.http import PDF, actor_of, pdf_response
from dangan.handover import selectors, services
from dangan.handover.models import Handover, HandoverItem, HandoverLine


class LineOutput(serializers.ModelSerializer[HandoverLine]):
    class Meta:
        model = HandoverLine
        fields = ["code", "name", "result", "note", "checked_at"]


class ItemOutput(serializers.ModelSerializer[HandoverItem]):
    archive_number = serializers.CharField(source="dossier.archive_number", read_only=True)
    lines = LineOutput(many=True, read_only=True)

    class Meta:
        model = HandoverItem
        fields = [
            "id",
            "dossier",
            "archive_number",
            "status",
            "item_count",
            "document_count",
            "checklist",
            "lines",
        ]


class HandoverOutput(serializers.ModelSerializer[Handover]):
    from_user_name = serializers.CharField(source="from_user.__str__", read_only=True)
    receiver = serializers.CharField(source="receiver_label", read_only=True)

    class Meta:
        model = Handover
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "from_user",
            "from_user_name",
            "from_department",
            "to_user",
            "to_department",
            "receiver",
            "note",
            "totals",
            "received_totals",
            "created_at",
            "sender_signed_by",
            "sender_signed_at",
            "receiver_signed_by",
            "receiver_signed_at",
            "closed_at",
        ]


class HandoverDetailOutput(HandoverOutput):
    items = serializers.SerializerMethodField()

    class Meta(HandoverOutput.Meta):
        fields = [*HandoverOutput.Meta.fields, "items"]

    def get_items(self, obj: Handover) -> list[dict[str, Any]]:
        return [dict(ItemOutput(item).data) for item in selectors.handover_items(obj)]


class HandoverInput(serializers.Serializer[Any]):
    to_user = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    to_department = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    dossiers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False
    )
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False
    )
    kind = serializers.ChoiceField(
        choices=[Handover.Kind.TRANSFER, Handover.Kind.COPIES], default=Handover.Kind.TRANSFER
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LineInput(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=40)
    result = serializers.ChoiceField(choices=HandoverLine.Result.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ItemInput(serializers.Serializer[Any]):
    item = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    lines = LineInput(many=True)


class VerifyInput(serializers.Serializer[Any]):
    items = ItemInput(many=True, allow_empty=False)


class SignInput(serializers.Serializer[Any]):
    as_party = serializers.ChoiceField(choices=services.PARTIES)


def _detail(actor: User, handover: Handover) -> dict[str, Any]:
    return dict(HandoverDetailOutput(selectors.access_handover(actor, handover.pk)).data)


class HandoverListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(
        parameters=[OpenApiParameter("box", str), OpenApiParameter("status", str)],
        responses=HandoverOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require_any(
            actor, perms.HANDOVER_SEND, perms.HANDOVER_RECEIVE, perms.HANDOVER_MANAGE
        )
        found = selectors.handover_list(
            actor, box=text_param(request, "box"), status=text_param(request, "status")
        )
        return paginated(self, request, found, HandoverOutput)

    @extend_schema(request=HandoverInput, responses={201: HandoverDetailOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.HANDOVER_SEND)
        data = valid_input(HandoverInput, request)
        to_user = resolve(User, data.get("to_user"), "to_user", is_active=True)
        to_department = resolve(Department, data.get("to_department"), "to_department")
        if to_user is None and to_department is None:
            raise ApplicationError(_("请指定接收人或接收部门(二选一)"), field="to_user")
        created = services.handover_create(
            actor=actor,
            dossier_ids=data["dossiers"],
            to_user=to_user,
            to_department=to_department,
            kind=data["kind"],
            note=data["note"],
            document_ids=data.get("documents"),
        )
        return Response(_detail(actor, created), status=status.HTTP_201_CREATED)


class HandoverDetailApi(APIView):
    @extend_schema(responses=HandoverDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        found = selectors.access_handover(actor_of(request), pk)
        return Response(HandoverDetailOutput(found).data)


class DepartureInput(serializers.Serializer[Any]):
    from_user = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    to_user = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class DepartureOutput(serializers.Serializer[Any]):
    customers = serializers.ListField(child=serializers.IntegerField())
    reassigned = serializers.ListField(child=serializers.CharField())
    handover = serializers.IntegerField(allow_null=True, help_text="the departure batch, if any")


class DepartureApi(APIView):
    """A leaving employee's customers go to the successor at once; the paper bags of
    their dossiers travel in one departure batch (离职交接), as on the page."""

    @extend_schema(request=DepartureInput, responses=DepartureOutput)
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.HANDOVER_MANAGE)
        data = valid_input(DepartureInput, request)
        done = services.handover_departure(
            actor=actor,
            from_user=resolve(User, data["from_user"], "from_user"),
            to_user=resolve(User, data["to_user"], "to_user"),
            note=data["note"],
        )
        body = {
            "customers": done.customers,
            "reassigned": done.reassigned,
            "handover": done.handover.pk if done.handover else None,
        }
        return Response(DepartureOutput(body).data)


class HandoverSlipApi(APIView):
    """The batch's hand-over slip (移交单) as a PDF, as the page prints it (recorded)."""

    @extend_schema(responses={(200, PDF): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request, pk: int) -> HttpResponse:
        actor = actor_of(request)
        found = selectors.access_handover(actor, pk)
        return pdf_response(services.slip_print(actor=actor, handover=found), f"{found.number}.pdf")


class HandoverVerifyApi(APIView):
    @extend_schema(request=VerifyInput, responses=HandoverDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        found = selectors.access_handover(actor, pk)
        data = valid_input(VerifyInput, request)
        results = {
            entry["item"]: {line["code"]: (line["result"], line["note"]) for line in entry["lines"]}
            for entry in data["items"]
        }
        done = services.handover_verify(actor=actor, handover=found, results=results)
        return Response(_detail(actor, done))


class HandoverSignApi(APIView):
    @extend_schema(request=SignInput, responses=HandoverDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        found = selectors.access_handover(actor, pk)
        data = valid_input(SignInput, request)
        done = services.handover_sign(actor=actor, handover=found, as_party=data["as_party"])
        return Response(_detail(actor, done))
