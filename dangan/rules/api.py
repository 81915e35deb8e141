"""The rules' API: approval rules (GET/POST, GET/PUT/DELETE of one), "who would approve
this?", and the versions of a rule. PUT /archive-types/{id}/ is in dangan.archives.api."""

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
from dangan.circulation.models import ApprovalRule
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import actor_of
from dangan.rules import selectors, services
from dangan.rules.models import RuleVersion


class StepSerializer(serializers.Serializer[Any]):
    role = serializers.CharField()
    department = serializers.ChoiceField(choices=["requester", "customer", "any"])
    escalate_to = serializers.CharField(required=False, allow_blank=True)


class ApprovalRuleOutput(serializers.ModelSerializer[ApprovalRule]):
    steps = StepSerializer(many=True)
    version = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalRule
        fields = [
            "id",
            "name",
            "priority",
            "is_active",
            "kind",
            "confidentiality",
            "relation",
            "requester_role",
            "steps",
            "desk_approval",
            "escalate_after_hours",
            "version",
        ]

    def get_version(self, obj: ApprovalRule) -> int:
        return services.approval_rule_version(obj).number


class ApprovalRuleInput(serializers.Serializer[Any]):
    """For the OpenAPI document only: the body is checked by dangan.rules.schema."""

    name = serializers.CharField(max_length=100)
    priority = serializers.IntegerField(required=False)
    is_active = serializers.BooleanField(required=False)
    kind = serializers.CharField(required=False, allow_blank=True)
    confidentiality = serializers.CharField(required=False, allow_blank=True)
    relation = serializers.CharField(required=False, allow_blank=True)
    requester_role = serializers.CharField(required=False, allow_blank=True)
    steps = StepSerializer(many=True, required=False)
    desk_approval = serializers.BooleanField(required=False)
    escalate_after_hours = serializers.IntegerField(required=False, min_value=0)


class VersionOutput(serializers.ModelSerializer[RuleVersion]):
    actor = serializers.CharField(
        source="actor.username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = RuleVersion
        fields = ["number", "at", "actor", "sections", "note", "snapshot"]


def body_of(request: Request) -> dict[str, Any]:
    """The JSON body as a mapping (a form-encoded body cannot carry the steps)."""
    data: Any = request.data
    if hasattr(data, "getlist"):
        data = {key: data.get(key) for key in data}
    if not isinstance(data, dict):
        raise ApplicationError(_("请求体应为 JSON 对象"))
    return dict(data)


def _rule(pk: int) -> ApprovalRule:
    found = ApprovalRule.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("审批规则不存在"))
    return found


def _may_manage(request: Request) -> None:
    policy.require(request.user, perms.ARCHIVE_TYPE_MANAGE)


class ApprovalRuleListApi(APIView):
    @extend_schema(responses=ApprovalRuleOutput(many=True))
    def get(self, request: Request) -> Response:
        selectors.may_read_rules(request.user)
        return Response(ApprovalRuleOutput(selectors.approval_rules(), many=True).data)

    @extend_schema(request=ApprovalRuleInput, responses={201: ApprovalRuleOutput})
    def post(self, request: Request) -> Response:
        _may_manage(request)
        rule = services.approval_rule_create(actor=actor_of(request), data=body_of(request))
        return Response(ApprovalRuleOutput(rule).data, status=status.HTTP_201_CREATED)


class ApprovalRuleDetailApi(APIView):
    @extend_schema(responses=ApprovalRuleOutput)
    def get(self, request: Request, pk: int) -> Response:
        selectors.may_read_rules(request.user)
        return Response(ApprovalRuleOutput(_rule(pk)).data)

    @extend_schema(request=ApprovalRuleInput, responses=ApprovalRuleOutput)
    def put(self, request: Request, pk: int) -> Response:
        _may_manage(request)
        rule = services.approval_rule_update(
            actor=actor_of(request), rule=_rule(pk), data=body_of(request)
        )
        return Response(ApprovalRuleOutput(rule).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        _may_manage(request)
        services.approval_rule_delete(actor=actor_of(request), rule=_rule(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApprovalRuleVersionsApi(APIView):
    @extend_schema(responses=VersionOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        selectors.may_read_rules(request.user)
        versions = selectors.rule_versions(RuleVersion.Subject.APPROVAL_RULE, pk)
        if not versions:
            _rule(pk)
        return Response(VersionOutput(versions, many=True).data)


class PreviewStepOutput(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    role = serializers.CharField()
    role_name = serializers.CharField()
    department_rule = serializers.CharField()
    department = serializers.CharField(source="department_label")
    approvers = serializers.SerializerMethodField()

    def get_approvers(self, obj: selectors.PreviewStep) -> list[dict[str, Any]]:
        return [
            {
                "id": user.pk,
                "username": user.username,
                "name": str(user),
            }
            for user in obj.approvers
        ]


class PreviewOutput(serializers.Serializer[Any]):
    rule = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="version.number", default=None)
    approved_at_once = serializers.BooleanField()
    stalls = serializers.BooleanField()
    steps = PreviewStepOutput(many=True)

    def get_rule(self, obj: selectors.Preview) -> dict[str, Any] | None:
        return {"id": obj.rule.pk, "name": obj.rule.name} if obj.rule else None


class ApprovalPreviewApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, required=True),
            OpenApiParameter("confidentiality", str, required=True),
            OpenApiParameter("relation", str, required=True),
            OpenApiParameter("requester_role", str, required=True),
            OpenApiParameter("requester_department", int),
            OpenApiParameter("customer_department", int),
        ],
        responses=PreviewOutput,
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        preview = selectors.approval_preview(
            actor=request.user,
            kind=query.get("kind", ""),
            confidentiality=query.get("confidentiality", "normal"),
            relation=query.get("relation", ""),
            requester_role=query.get("requester_role", ""),
            requester_department=query.get("requester_department"),
            customer_department=query.get("customer_department"),
        )
        return Response(PreviewOutput(preview).data)
