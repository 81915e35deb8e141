"""Intake API: run the checks, read findings, record document facts, exception
statements and the monthly statement. Views call the same services as the UI."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.audit.services import audit_record
from dangan.circulation import approvals
from dangan.circulation.models import ApprovalStep
from dangan.core.api import Pagination, paginated, valid_input, year_param
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of
from dangan.intake import deadlines, exports, selectors, services
from dangan.intake.models import ExceptionStatement, Finding, Holiday
from dangan.intake.penalties import month_bounds, penalty_statement


class FindingOutput(serializers.ModelSerializer[Finding]):
    kind_label = serializers.CharField(source="get_kind_display")
    status_label = serializers.CharField(source="get_status_display")
    document_title = serializers.CharField(source="document.title", default=None, allow_null=True)
    checklist_item_code = serializers.CharField(
        source="checklist_item.code", default=None, allow_null=True
    )
    responsible_name = serializers.CharField(source="responsible.__str__", default=None)

    class Meta:
        model = Finding
        fields = [
            "id",
            "dossier",
            "kind",
            "kind_label",
            "rule",
            "detail",
            "source",
            "document",
            "document_title",
            "checklist_item",
            "checklist_item_code",
            "responsible",
            "responsible_name",
            "status",
            "status_label",
            "found_at",
            "fixed_at",
            "reoffence_count",
        ]


def deadline_dict(result: deadlines.DeadlineResult) -> dict[str, Any]:
    return {
        "due": result.due.isoformat() if result.due else None,
        "state": result.state,
        "note": result.note,
        "submitted": result.submitted.isoformat() if result.submitted else None,
    }


class HolidayOutput(serializers.ModelSerializer[Holiday]):
    class Meta:
        model = Holiday
        fields = ["id", "date", "kind", "name", "source", "provisional"]


class HolidayInput(serializers.Serializer[Any]):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=Holiday.Kind.choices)
    name = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")


class CalendarApi(APIView):
    """The working-day calendar's exceptions to Monday–Friday (holidays, worked weekend
    days), by which intake deadlines count working days."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int, description="2000–2100; this year if absent")],
        responses=inline_serializer(
            "CalendarYear",
            fields={"year": serializers.IntegerField(), "results": HolidayOutput(many=True)},
        ),
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, perms.INTAKE_CALENDAR)
        year = year_param(request, low=2000, high=2100)
        days = Holiday.objects.filter(date__year=year)
        return Response({"year": year, "results": HolidayOutput(days, many=True).data})

    @extend_schema(request=HolidayInput, responses={201: HolidayOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.INTAKE_CALENDAR)  # a 403 before any 400 on the input
        holiday = services.holiday_set(actor=actor, **valid_input(HolidayInput, request))
        return Response(HolidayOutput(holiday).data, status=status.HTTP_201_CREATED)


class CalendarDayApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.holiday_remove(actor=actor_of(request), holiday_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarLoadInput(serializers.Serializer[Any]):
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class CalendarLoadApi(APIView):
    """Load the official holiday schedule the product ships for a year."""

    @extend_schema(request=CalendarLoadInput)
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.INTAKE_CALENDAR)  # a 403 before any 400 on the input
        data = valid_input(CalendarLoadInput, request)
        year = data["year"]
        count = services.calendar_load(actor=actor, year=year)
        return Response({"year": year, "dates": count})


class OverdueApi(APIView):
    """Dossiers of the last months past their filing deadline, or lacking the business
    date their deadline needs, grouped by the customer's account manager; what the actor
    may see only (the 超期未交 page)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DOSSIER_VIEW)
        groups = selectors.overdue_by_person(actor)
        return Response(
            {
                "results": [
                    {
                        "owner": {"id": owner.pk, "name": str(owner)},
                        "dossiers": [
                            {
                                "id": dossier.pk,
                                "archive_number": dossier.archive_number,
                                "title": dossier.title,
                                "deadline": deadline_dict(result),
                            }
                            for dossier, result in dossiers
                        ],
                    }
                    for owner, dossiers in groups
                ]
            }
        )


class DeadlineOutput(serializers.Serializer[Any]):
    """deadline_dict: a dossier's filing deadline and where it stands."""

    due = serializers.DateField(allow_null=True)
    state = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    submitted = serializers.DateField(allow_null=True)


class DossierFindingsOutput(serializers.Serializer[Any]):
    """A dossier's deadline and its findings (after an audit run, or as they stand)."""

    deadline = DeadlineOutput()
    findings = FindingOutput(many=True)


class DossierAuditApi(APIView):
    @extend_schema(request=None, responses=DossierFindingsOutput)
    def post(self, request: Request, pk: int) -> Response:
        dossier = policy.access_dossier(request.user, pk)
        found = services.dossier_audit(actor=actor_of(request), dossier=dossier)
        return Response(
            {
                "deadline": deadline_dict(deadlines.dossier_deadline(dossier)),
                "findings": FindingOutput(found, many=True).data,
            }
        )


class FindingRecordInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=services.RECORDABLE_KINDS)
    rule = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    detail = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DossierFindingsApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("status", str)], responses=DossierFindingsOutput)
    def get(self, request: Request, pk: int) -> Response:
        dossier = policy.access_dossier(request.user, pk)
        state = request.query_params.get("status", "")
        if state and state not in Finding.Status.values:
            raise ApplicationError(_("未知的状态"), field="status")
        findings = dossier.findings.select_related("document", "checklist_item", "responsible")
        if state:
            findings = findings.filter(status=state)
        return Response(
            {
                "deadline": deadline_dict(deadlines.dossier_deadline(dossier)),
                "findings": FindingOutput(findings, many=True).data,
            }
        )

    @extend_schema(request=FindingRecordInput, responses={201: FindingOutput})
    def post(self, request: Request, pk: int) -> Response:
        """Record a finding by hand (联系方式未核实、内部签字缺失、档案袋遗失 …)."""
        dossier = policy.access_dossier(request.user, pk)
        data = valid_input(FindingRecordInput, request)
        finding = services.finding_record(actor=actor_of(request), dossier=dossier, **data)
        return Response(FindingOutput(finding).data, status=status.HTTP_201_CREATED)


class FindingListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(responses=FindingOutput(many=True))
    def get(self, request: Request) -> Response:
        params = {
            key: request.query_params.get(key, "")
            for key in ("status", "kind", "person", "archive_type", "dossier")
        }
        for key in ("person", "archive_type", "dossier"):
            if params[key] and not (params[key].isascii() and params[key].isdigit()):
                raise ApplicationError(_("应为有效的编号"), field=key)
        if params["status"] and params["status"] not in Finding.Status.values:
            raise ApplicationError(_("未知的状态"), field="status")
        if params["kind"] and params["kind"] not in Finding.Kind.values:
            raise ApplicationError(_("未知的类别"), field="kind")
        policy.require(request.user, perms.DOSSIER_VIEW)
        findings = selectors.filter_findings(selectors.findings_for(request.user), params)
        findings = findings.select_related("document", "checklist_item", "responsible")
        return paginated(self, request, findings, FindingOutput)


class DocumentCheckApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        values = serializers.DictField(child=serializers.CharField(allow_blank=True), default=dict)
        stamped = serializers.BooleanField(allow_null=True, default=None)
        signed = serializers.BooleanField(allow_null=True, default=None)
        copies = serializers.IntegerField(allow_null=True, default=None, min_value=0, max_value=99)

    @extend_schema(request=InputSerializer)
    def put(self, request: Request, pk: int) -> Response:
        document = policy.access_document(request.user, pk)
        check = services.document_check_save(
            actor=actor_of(request), document=document, **valid_input(self.InputSerializer, request)
        )
        return Response(
            {
                "document": document.pk,
                "values": check.values,
                "stamped": check.stamped,
                "signed": check.signed,
                "copies": check.copies,
            }
        )


DECIDED = (ApprovalStep.Status.APPROVED, ApprovalStep.Status.DENIED)


class StatementOutput(serializers.ModelSerializer[ExceptionStatement]):
    steps = serializers.SerializerMethodField()
    current_step = serializers.IntegerField(read_only=True)

    class Meta:
        model = ExceptionStatement
        fields = ["id", "finding", "text", "status", "current_step", "submitted_at", "steps"]

    def get_steps(self, obj: ExceptionStatement) -> list[dict[str, Any]]:
        return [
            {
                # 0-based, as before the engine (current_step counts the same way).
                "position": s.position - 1,
                "role": s.role,
                "label": approvals.office(s),
                "decision": s.status if s.status in DECIDED else "",
                "decided_by": str(s.approver) if s.approver else None,
                "decided_at": s.decided_at,
            }
            for s in obj.steps.select_related("approver", "department").order_by("position")
        ]


class FindingStatementApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        text = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses=StatementOutput)
    def post(self, request: Request, pk: int) -> Response:
        finding = selectors.access_finding(request.user, pk)
        text = valid_input(self.InputSerializer, request)["text"]
        statement = services.statement_submit(actor=actor_of(request), finding=finding, text=text)
        return Response(StatementOutput(statement).data, status=status.HTTP_201_CREATED)


class _Decision(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StatementApproveApi(APIView):
    @extend_schema(request=_Decision, responses=StatementOutput)
    def post(self, request: Request, pk: int) -> Response:
        statement = selectors.access_statement(request.user, pk)
        note = valid_input(_Decision, request)["note"]
        statement = services.statement_approve(
            actor=actor_of(request), statement=statement, note=note
        )
        return Response(StatementOutput(statement).data)


class StatementDenyApi(APIView):
    @extend_schema(request=_Decision, responses=StatementOutput)
    def post(self, request: Request, pk: int) -> Response:
        statement = selectors.access_statement(request.user, pk)
        note = valid_input(_Decision, request)["note"]
        statement = services.statement_deny(actor=actor_of(request), statement=statement, note=note)
        return Response(StatementOutput(statement).data)


def month_param(request: Request) -> str:
    month = request.query_params.get("month", "") or timezone.localdate().strftime("%Y-%m")
    try:
        month_bounds(month)
    except ValueError:
        raise ApplicationError(_("月份格式应为 YYYY-MM"), field="month") from None
    return month


class PenaltyStatementApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM")])
    def get(self, request: Request) -> Response:
        policy.require(request.user, perms.INTAKE_STATEMENT)
        month = month_param(request)
        statement = penalty_statement(month, people=selectors.statement_people(request.user))
        return Response(
            {
                "month": month,
                "people": [row.as_dict() for row in statement.people],
                "departments": [row.as_dict() for row in statement.departments],
                "total": statement.total.as_dict(),
            }
        )


class PenaltyStatementXlsxApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM")])
    def get(self, request: Request) -> HttpResponse:
        policy.require(request.user, perms.INTAKE_STATEMENT)
        month = month_param(request)
        statement = penalty_statement(month, people=selectors.statement_people(request.user))
        return statement_response(actor_of(request), statement)


def statement_response(actor: Any, statement: Any) -> HttpResponse:
    body = exports.statement_xlsx(statement)
    audit_record(
        actor=actor,
        action="export",
        object_type="penalty_statement",
        object_repr=statement.month,
        detail={"month": statement.month, "rows": len(statement.people)},
    )
    response = HttpResponse(body, content_type=exports.XLSX_TYPE)
    name = f"statement-{statement.month}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
