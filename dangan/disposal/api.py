"""REST API of retention and disposal (issue 24)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.api import MAX_ID, Pagination, id_param, paginated, text_param, valid_input
from dangan.core.http import PDF, actor_of, pdf_response
from dangan.disposal import holds, printing, selectors, services
from dangan.disposal.models import CustomerHold, DisposalItem, DisposalList, RegisterEntry


class ItemOutput(serializers.ModelSerializer[DisposalItem]):
    archive_number = serializers.CharField(source="dossier.archive_number", read_only=True)
    piece_number = serializers.SerializerMethodField()
    appraisals = serializers.SerializerMethodField()

    class Meta:
        model = DisposalItem
        fields = [
            "id",
            "dossier",
            "document",
            "archive_number",
            "piece_number",
            "prior_status",
            "expires",
            "decision",
            "extend_years",
            "appraisals",
        ]

    def get_piece_number(self, obj: DisposalItem) -> int | None:
        """件号 of a single document on the list; null for a whole dossier."""
        return obj.document.piece_number if obj.document is not None else None

    def get_appraisals(self, obj: DisposalItem) -> list[dict[str, Any]]:
        return [
            {
                "party": a.party,
                "decision": a.decision,
                "years": a.years,
                "note": a.note,
                "appraiser": a.appraiser_id,
            }
            for a in obj.appraisals.all()
        ]


class ListOutput(serializers.ModelSerializer[DisposalList]):
    items = ItemOutput(many=True, read_only=True)
    steps = serializers.SerializerMethodField()

    class Meta:
        model = DisposalList
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "reason",
            "proposer",
            "created_at",
            "approved_at",
            "hold_until",
            "supervisor",
            "destroyed_at",
            "method",
            "items",
            "steps",
        ]

    def get_steps(self, obj: DisposalList) -> list[dict[str, Any]]:
        return [
            {
                "position": s.position,
                "role": s.role,
                "status": s.status,
                "approver": s.approver_id,
                "note": s.note,
            }
            for s in sorted(obj.steps.all(), key=lambda s: s.position)
        ]


def _out(found: DisposalList) -> dict[str, Any]:
    return dict(
        ListOutput(
            DisposalList.objects.prefetch_related(
                "items__appraisals", "items__dossier", "items__document", "steps"
            ).get(pk=found.pk)
        ).data
    )


class DueApi(APIView):
    """Terminated and moved-out dossiers past their retention, and documents past their own
    (`kind`: `dossier` | `document`; a document row names its `document` and
    `piece_number`), oldest expiry first."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("type", int),
            OpenApiParameter("department", int),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DISPOSAL_PROPOSE)
        due = selectors.due_list(
            actor,
            q=text_param(request, "q"),
            archive_type=id_param(request, "type"),
            department=id_param(request, "department"),
        )
        return Response({"count": len(due), "results": [d.as_dict() for d in due]})


class ListInput(serializers.Serializer[Any]):
    dossiers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list
    )
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list
    )
    kind = serializers.ChoiceField(
        choices=DisposalList.Kind.choices, default=DisposalList.Kind.EXPIRED
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ListsApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(responses=ListOutput(many=True))
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        if not services.may_take_part(actor):
            policy.require(actor, perms.DISPOSAL_PROPOSE)
        found = DisposalList.objects.prefetch_related(
            "items__appraisals", "items__dossier", "items__document", "steps"
        )
        return paginated(self, request, found, ListOutput)

    @extend_schema(request=ListInput, responses={201: ListOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DISPOSAL_PROPOSE)
        data = valid_input(ListInput, request)
        created = services.list_propose(
            actor=actor,
            dossiers=data["dossiers"],
            documents=data["documents"],
            reason=data["reason"],
            kind=data["kind"],
        )
        return Response(_out(created), status=status.HTTP_201_CREATED)


class ListDetailApi(APIView):
    @extend_schema(responses=ListOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_out(services.access_list(actor_of(request), pk)))


class AppraiseInput(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=["destroy", "keep", "extend"])
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False
    )
    years = serializers.IntegerField(required=False, allow_null=True, default=None)


class AppraiseApi(APIView):
    """One party's appraisal; a `decision` without `items` applies to every item."""

    @extend_schema(request=AppraiseInput, responses=ListOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        data = valid_input(AppraiseInput, request)
        done = services.list_appraise(
            actor=actor,
            list_id=pk,
            decision=data["decision"],
            note=data["note"],
            items=data.get("items"),
            years=data["years"],
        )
        return Response(_out(done))


class NoteInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ApproveApi(APIView):
    @extend_schema(request=NoteInput, responses=ListOutput)
    def post(self, request: Request, pk: int) -> Response:
        data = valid_input(NoteInput, request)
        return Response(
            _out(services.list_approve(actor=actor_of(request), list_id=pk, note=data["note"]))
        )


class DenyApi(APIView):
    @extend_schema(request=NoteInput, responses=ListOutput)
    def post(self, request: Request, pk: int) -> Response:
        data = valid_input(NoteInput, request)
        return Response(
            _out(services.list_deny(actor=actor_of(request), list_id=pk, note=data["note"]))
        )


class RestoreInput(serializers.Serializer[Any]):
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False
    )
    reason = serializers.CharField(max_length=500)


class RestoreApi(APIView):
    """During the hold, the archive room takes items back (they are not destroyed, their
    dossiers return to their state before the list); `items` are the list's item ids."""

    @extend_schema(request=RestoreInput, responses=ListOutput)
    def post(self, request: Request, pk: int) -> Response:
        data = valid_input(RestoreInput, request)
        done = services.list_restore(
            actor=actor_of(request), list_id=pk, items=data["items"], reason=data["reason"]
        )
        return Response(_out(done))


class DestroyInput(serializers.Serializer[Any]):
    method = serializers.ChoiceField(choices=list(services.METHODS))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DestroyApi(APIView):
    """The supervisor's (监销人) signature: after the hold, never the proposer."""

    @extend_schema(request=DestroyInput, responses=ListOutput)
    def post(self, request: Request, pk: int) -> Response:
        data = valid_input(DestroyInput, request)
        done = services.list_destroy(
            actor=actor_of(request), list_id=pk, method=data["method"], note=data["note"]
        )
        return Response(_out(done))


class RegisterOutput(serializers.ModelSerializer[RegisterEntry]):
    class Meta:
        model = RegisterEntry
        fields = [
            "id",
            "list_number",
            "archive_number",
            "title",
            "archive_type",
            "pieces",
            "years",
            "retention",
            "appraisers",
            "approvers",
            "proposer",
            "supervisor",
            "approved_on",
            "destroyed_at",
            "method",
            "backups_until",
            "kind",
        ]


class RegisterApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses=RegisterOutput(many=True))
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DISPOSAL_REGISTER)
        found = selectors.register(q=text_param(request, "q"))
        return paginated(self, request, found, RegisterOutput)


class RegisterPdfApi(APIView):
    @extend_schema(responses={(200, PDF): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request) -> HttpResponse:
        actor = actor_of(request)
        policy.require(actor, perms.DISPOSAL_REGISTER)
        content = printing.register_pdf(actor=actor, entries=list(selectors.register()))
        return pdf_response(content, "destruction-register.pdf")


class HoldInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class CustomerHoldApi(APIView):
    """A customer's legal hold (冻结): the standing one (or the last, released), and placing one."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        customer = policy.access_customer(actor_of(request), pk)
        last = CustomerHold.objects.filter(customer=customer).select_related("placed_by").first()
        return Response(holds.hold_out(last))

    @extend_schema(request=HoldInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        customer = policy.access_customer(actor, pk)
        policy.require(actor, perms.DOSSIER_HOLD)
        data = valid_input(HoldInput, request)
        hold = holds.customer_hold(actor=actor, customer=customer, reason=data["reason"])
        return Response(holds.hold_out(hold), status=status.HTTP_201_CREATED)


class CustomerReleaseApi(APIView):
    @extend_schema(request=HoldInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        customer = policy.access_customer(actor, pk)
        policy.require(actor, perms.DOSSIER_HOLD)
        data = valid_input(HoldInput, request)
        hold = holds.customer_release(actor=actor, customer=customer, reason=data["reason"])
        return Response(holds.hold_out(hold))
