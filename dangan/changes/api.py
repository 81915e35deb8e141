"""Change control through the API: the history of a dossier or a customer, and change
requests (ask, list those waiting for the caller, approve, deny)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import policy
from dangan.archives import services as archive_services
from dangan.changes import selectors, services
from dangan.changes.models import ChangeRequest, ObjectType
from dangan.core.api import valid_input
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import actor_of
from dangan.customers import services as customer_services


class HistoryRowOutput(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["change", "pending", "status"])
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF takes it out
    before = serializers.CharField()
    after = serializers.CharField()
    by = serializers.CharField()
    reason = serializers.CharField()
    approved_by = serializers.CharField()
    request = serializers.CharField()
    state = serializers.CharField()


class DossierHistoryApi(APIView):
    """变更记录 of a dossier: field by field, pending requests and status changes."""

    @extend_schema(responses=HistoryRowOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        dossier = policy.access_dossier(request.user, pk)
        return Response([row.as_dict() for row in selectors.dossier_history(request.user, dossier)])


class CustomerHistoryApi(APIView):
    """变更记录 of a customer, masked as the caller's role requires."""

    @extend_schema(responses=HistoryRowOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        customer = policy.access_customer(request.user, pk)
        rows = selectors.customer_history(request.user, customer)
        return Response([row.as_dict() for row in rows])


def change_request_out(actor: Any, request: ChangeRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "number": request.number,
        "object_type": request.object_type,
        "object_id": request.dossier_id if request.dossier_id else request.customer_id,
        "dossier": request.dossier_id,
        "customer": request.customer_id,
        "changes": selectors.request_rows(actor, request),
        "reason": request.reason,
        "requester": request.requester.username,
        "status": request.status,
        "created_at": request.created_at.isoformat(),
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "steps": [
            {
                "position": step.position,
                "role": step.role,
                "department": step.department_id,
                "status": step.status,
                "approver": step.approver.username if step.approver else None,
                "decided_at": step.decided_at.isoformat() if step.decided_at else None,
                "note": step.note,
            }
            for step in request.steps.select_related("approver").order_by("position")
        ],
    }


class ChangeStepOutput(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    role = serializers.CharField()
    department = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    approver = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()


class ChangeRequestOutput(serializers.Serializer[Any]):
    """The shape of change_request_out (documentation only)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.IntegerField(allow_null=True)
    dossier = serializers.IntegerField(allow_null=True)
    customer = serializers.IntegerField(allow_null=True)
    changes = serializers.ListField(child=serializers.DictField())
    reason = serializers.CharField()
    requester = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    steps = ChangeStepOutput(many=True)


class ChangeRequestInput(serializers.Serializer[Any]):
    object_type = serializers.ChoiceField(choices=ObjectType.choices)
    object_id = serializers.IntegerField(min_value=1)
    changes = serializers.DictField()
    reason = serializers.CharField(max_length=1000)


class ChangeRequestListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("mine", bool, description="本人提出的申请(默认:待本人审批的)")
        ],
        responses=ChangeRequestOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        if request.query_params.get("mine") in ("1", "true"):
            found = list(selectors.asked_by(actor).order_by("-created_at")[:200])
        else:
            found = selectors.waiting_for(actor)
        return Response([change_request_out(actor, cr) for cr in found])

    @extend_schema(request=ChangeRequestInput, responses={201: ChangeRequestOutput})
    def post(self, request: Request) -> Response:
        """Ask for a change through the approval chain, whatever its field's level."""
        actor = actor_of(request)
        data = valid_input(ChangeRequestInput, request)
        try:
            if data["object_type"] == ObjectType.DOSSIER:
                dossier = policy.access_dossier(actor, data["object_id"])
                result: Any = archive_services.dossier_update(
                    actor=actor,
                    dossier=dossier,
                    changes=data["changes"],
                    reason=data["reason"],
                    propose=True,
                )
            else:
                customer = policy.access_customer(actor, data["object_id"])
                result = customer_services.customer_update(
                    actor=actor,
                    customer=customer,
                    changes=customer_changes(data["changes"]),
                    reason=data["reason"],
                    propose=True,
                )
        except NotFound:
            raise ApplicationError(_("记录不存在或您无权查看"), field="object_id") from None
        if not isinstance(result, ChangeRequest):
            raise ApplicationError(_("没有需要修改的内容"), field="changes")
        return Response(change_request_out(actor, result), status=status.HTTP_201_CREATED)


def customer_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """A customer change from JSON as the service takes it (shape checked by the
    customer API's serializer)."""
    from dangan.customers.api import CustomerInput, _relations

    customer_services.check_change_keys(changes)
    serializer = CustomerInput(data=changes, partial=True)
    serializer.is_valid(raise_exception=True)
    return _relations(dict(serializer.validated_data))


class DecisionInput(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ChangeRequestApproveApi(APIView):
    @extend_schema(request=DecisionInput, responses=ChangeRequestOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        change_request = selectors.access_change_request(actor, pk)
        data = valid_input(DecisionInput, request)
        decided = services.change_request_approve(
            actor=actor, change_request=change_request, note=data.get("note") or ""
        )
        return Response(change_request_out(actor, decided))


class ChangeRequestDenyApi(APIView):
    @extend_schema(request=DecisionInput, responses=ChangeRequestOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        change_request = selectors.access_change_request(actor, pk)
        data = valid_input(DecisionInput, request)
        decided = services.change_request_deny(
            actor=actor, change_request=change_request, note=data.get("note") or ""
        )
        return Response(change_request_out(actor, decided))
