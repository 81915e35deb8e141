"""REST API for use of the archive (issue 5 §7): requests, approvals, loans, grants,
notifications. Views are thin: shape checks here, rules in services."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Grant, User
from dangan.archives.models import Dossier
from dangan.circulation import lending, printing, selectors, services
from dangan.circulation.models import (
    AccessRequest,
    ApprovalStep,
    Loan,
    Notification,
    RequestKind,
)
from dangan.core.api import (
    MAX_ID,
    Pagination,
    paginated,
    resolve,
    text_param,
    valid_input,
    year_param,
)
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import PDF, actor_of, pdf_response


class MomentField(serializers.Field):  # type: ignore[type-arg]
    """A date-time, or a date meaning the end of that day (local time)."""

    default_error_messages = {"invalid": _("应为日期(YYYY-MM-DD)或日期时间(ISO 8601)")}

    def to_internal_value(self, data: Any) -> datetime.datetime:
        text = str(data).strip() if data is not None else ""
        try:
            moment = parse_datetime(text)
            if moment is None and (day := parse_date(text)) is not None:
                moment = datetime.datetime.combine(day, datetime.time(23, 59, 59))
        except ValueError:
            moment = None
        if moment is None:
            self.fail("invalid")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment

    def to_representation(self, value: datetime.datetime) -> str:
        return timezone.localtime(value).isoformat()


class StepOutput(serializers.ModelSerializer[ApprovalStep]):
    # Names (str of the object), null until set: a step for any department, not decided.
    department = serializers.CharField(allow_null=True, read_only=True)
    approver = serializers.CharField(allow_null=True, read_only=True)

    class Meta:
        model = ApprovalStep
        fields = ["position", "role", "department", "status", "approver", "decided_at", "note"]


class AccessRequestOutput(serializers.ModelSerializer[AccessRequest]):
    steps = StepOutput(many=True, read_only=True)
    requester_name = serializers.CharField(source="requester.__str__", read_only=True)
    archive_number = serializers.CharField(source="dossier.archive_number", read_only=True)
    rule = serializers.CharField(allow_null=True, read_only=True)
    grant = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)  # type: ignore[var-annotated]

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "requester",
            "requester_name",
            "dossier",
            "archive_number",
            "documents",
            "purpose",
            "until",
            "relation",
            "rule",
            "steps",
            "grant",
            "created_at",
            "decided_at",
        ]


class AccessRequestInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    dossier = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list
    )
    purpose = serializers.CharField(max_length=1000)
    until = MomentField()


class NoteInput(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


def _request_out(request: AccessRequest) -> dict[str, Any]:
    fresh = selectors.requests_of(request.requester).get(pk=request.pk)
    return dict(AccessRequestOutput(fresh).data)


class AccessRequestListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(
        parameters=[OpenApiParameter("status", str)], responses=AccessRequestOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        found = selectors.requests_of(actor_of(request))
        if state := text_param(request, "status"):
            found = found.filter(status=state)
        return paginated(self, request, found, AccessRequestOutput)

    @extend_schema(request=AccessRequestInput, responses={201: AccessRequestOutput})
    def post(self, request: Request) -> Response:
        data = valid_input(AccessRequestInput, request)
        created = services.request_create(
            actor=actor_of(request),
            kind=data["kind"],
            dossier_id=data["dossier"],
            purpose=data["purpose"],
            until=data["until"],
            document_ids=data.get("documents") or (),
        )
        return Response(_request_out(created), status=status.HTTP_201_CREATED)


class AccessRequestDetailApi(APIView):
    @extend_schema(responses=AccessRequestOutput)
    def get(self, request: Request, pk: int) -> Response:
        found = selectors.access_request(actor_of(request), pk)
        return Response(AccessRequestOutput(found).data)


class AccessRequestSlipApi(APIView):
    """The request's borrow slip (借阅单) as a PDF, as the page prints it (recorded)."""

    @extend_schema(responses={(200, PDF): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request, pk: int) -> HttpResponse:
        actor = actor_of(request)
        found = selectors.access_request(actor, pk)
        return pdf_response(
            printing.request_slip_pdf(actor=actor, found=found), f"{found.number}.pdf"
        )


class BorrowRegisterApi(APIView):
    """A year's borrowing register (借阅登记表) as a PDF, for the archive's managers
    (recorded)."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int, description="1900–2200; this year if absent")],
        responses={(200, PDF): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request) -> HttpResponse:
        actor = actor_of(request)
        policy.require(actor, perms.CIRCULATION_MANAGE)  # before reading the parameters
        year = year_param(request, low=printing.FIRST_YEAR, high=printing.LAST_YEAR)
        return pdf_response(printing.register_pdf(actor=actor, year=year), f"register-{year}.pdf")


class AccessRequestApproveApi(APIView):
    @extend_schema(request=NoteInput, responses=AccessRequestOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        found = selectors.access_request(actor, pk)
        data = valid_input(NoteInput, request)
        done = services.request_approve(actor=actor, request=found, note=data["note"])
        return Response(_request_out(done))


class AccessRequestDenyApi(APIView):
    @extend_schema(request=NoteInput, responses=AccessRequestOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        found = selectors.access_request(actor, pk)
        data = valid_input(NoteInput, request)
        done = services.request_deny(actor=actor, request=found, note=data["note"])
        return Response(_request_out(done))


class AccessRequestCancelApi(APIView):
    @extend_schema(request=None, responses=AccessRequestOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        found = selectors.access_request(actor, pk)
        done = services.request_cancel(actor=actor, request=found)
        return Response(_request_out(done))


class ApprovalListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(responses=AccessRequestOutput(many=True))
    def get(self, request: Request) -> Response:
        queue = selectors.approvals_for(actor_of(request))
        return paginated(self, request, queue, AccessRequestOutput)


class LoanOutput(serializers.ModelSerializer[Loan]):
    archive_number = serializers.CharField(source="dossier.archive_number", read_only=True)
    borrower_name = serializers.CharField(source="borrower.__str__", read_only=True)
    request_number = serializers.CharField(source="request.number", read_only=True, default="")
    overdue = serializers.SerializerMethodField()
    originals_kept = serializers.SerializerMethodField()
    walk_in = serializers.SerializerMethodField()

    class Meta:
        model = Loan
        fields = [
            "id",
            "dossier",
            "archive_number",
            "borrower",
            "borrower_name",
            "request",
            "request_number",
            "walk_in",
            "lent_by",
            "lent_at",
            "due_at",
            "scope",
            "documents",
            "originals_kept",
            "renewals",
            "returned_at",
            "returned_to",
            "return_complete",
            "returned_late",
            "return_note",
            "damage_note",
            "overdue",
        ]

    def get_overdue(self, obj: Loan) -> bool:
        return obj.returned_at is None and obj.due_at < timezone.now()

    def get_originals_kept(self, obj: Loan) -> list[int]:
        """The ids of the originals that stayed in the room (listed on the slip)."""
        return [d.pk for d in selectors.originals_kept(obj)]

    def get_walk_in(self, obj: Loan) -> bool:
        return obj.request is not None and obj.request.filed_by_id is not None


class LoanInput(serializers.Serializer[Any]):
    dossier = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    borrower = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    due = MomentField()
    request = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    # The pieces that go out (none: the whole dossier, or those the request named) …
    documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list
    )
    # … or everything but the originals, which stay in the room.
    without_originals = serializers.BooleanField(required=False, default=False)
    # A walk-in lend: no request before; the approval recorded on the spot where the rules
    # allow it. Needs the purpose.
    walk_in = serializers.BooleanField(required=False, default=False)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class RenewInput(serializers.Serializer[Any]):
    due = MomentField()


class ReturnInput(serializers.Serializer[Any]):
    complete = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    damage_note = serializers.CharField(
        required=False, allow_blank=True, max_length=500, default=""
    )


def _loan_out(loan: Loan) -> dict[str, Any]:
    return dict(LoanOutput(Loan.objects.get(pk=loan.pk)).data)


class LoanListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(
        parameters=[OpenApiParameter("open", bool), OpenApiParameter("overdue", bool)],
        responses=LoanOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        loans = selectors.loans_visible_to(actor_of(request))
        if text_param(request, "open") in ("1", "true"):
            loans = loans.filter(returned_at__isnull=True)
        if text_param(request, "overdue") in ("1", "true"):
            loans = loans.filter(returned_at__isnull=True, due_at__lt=timezone.now())
        return paginated(self, request, loans.order_by("-lent_at", "-id"), LoanOutput)

    @extend_schema(request=LoanInput, responses={201: LoanOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.CIRCULATION_LEND)
        data = valid_input(LoanInput, request)
        # The archive room holds every bag, whatever the lender's reading clearance.
        dossier = resolve(Dossier, data["dossier"], "dossier")
        borrower = resolve(User, data["borrower"], "borrower", is_active=True)
        borrow_request = resolve(AccessRequest, data.get("request"), "request")
        if data["walk_in"]:
            if borrow_request is not None:
                raise ApplicationError(_("现场借阅不能同时指定借阅申请"), field="request")
            loan = lending.loan_walk_in(
                actor=actor,
                dossier=dossier,
                borrower=borrower,
                due=data["due"],
                purpose=data["purpose"],
                documents=data["documents"],
                without_originals=data["without_originals"],
            )
        else:
            loan = lending.loan_create(
                actor=actor,
                dossier=dossier,
                borrower=borrower,
                due=data["due"],
                request=borrow_request,
                documents=data["documents"],
                without_originals=data["without_originals"],
            )
        return Response(_loan_out(loan), status=status.HTTP_201_CREATED)


class LoanQueueApi(APIView):
    """The hand-out queue: approved borrow requests not yet lent, oldest approval first
    (for those who lend)."""

    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(responses=AccessRequestOutput(many=True))
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.CIRCULATION_LEND)
        queue = selectors.handout_queue()
        return paginated(self, request, queue, AccessRequestOutput)


def _loan_data(loan: Loan) -> dict[str, Any]:
    return dict(LoanOutput(loan).data)


class LoanDetailApi(APIView):
    @extend_schema(responses=LoanOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_loan_data(selectors.access_loan(actor_of(request), pk)))


class LoanRenewApi(APIView):
    @extend_schema(request=RenewInput, responses=LoanOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.CIRCULATION_LEND)
        loan = selectors.access_loan(actor, pk)
        data = valid_input(RenewInput, request)
        loan = lending.loan_renew(actor=actor, loan=loan, due=data["due"])
        return Response(_loan_out(loan))


class LoanReturnApi(APIView):
    @extend_schema(request=ReturnInput, responses=LoanOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.CIRCULATION_LEND)
        loan = selectors.access_loan(actor, pk)
        data = valid_input(ReturnInput, request)
        loan = lending.loan_return(
            actor=actor,
            loan=loan,
            complete=data["complete"],
            note=data["note"],
            damage_note=data["damage_note"],
        )
        return Response(_loan_out(loan))


class GrantOutput(serializers.ModelSerializer[Grant]):
    user_name = serializers.CharField(source="user.__str__", read_only=True)
    request = serializers.SerializerMethodField()

    class Meta:
        model = Grant
        fields = [
            "id",
            "user",
            "user_name",
            "object_type",
            "object_id",
            "action",
            "reason",
            "starts_at",
            "expires_at",
            "revoked_at",
            "request",
        ]

    def get_request(self, obj: Grant) -> str:
        found = AccessRequest.objects.filter(grant=obj).values_list("number", flat=True).first()
        return found or ""


class GrantListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(responses=GrantOutput(many=True))
    def get(self, request: Request) -> Response:
        grants = selectors.grants_visible_to(actor_of(request))
        return paginated(self, request, grants, GrantOutput)


class RevokeInput(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class GrantRevokeApi(APIView):
    @extend_schema(request=RevokeInput, responses=GrantOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.CIRCULATION_MANAGE)
        grant = Grant.objects.filter(pk=pk).first()
        if grant is None:
            raise NotFound(selectors.NOT_FOUND)
        reason = valid_input(RevokeInput, request)["reason"]
        grant = services.grant_revoke(actor=actor, grant=grant, reason=reason)
        return Response(GrantOutput(grant).data)


class NotificationOutput(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "text", "link", "created_at", "read_at"]


class NotificationReadInput(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False
    )


class NotificationListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool)], responses=NotificationOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        unread = text_param(request, "unread") in ("1", "true")
        found = selectors.notifications_of(actor_of(request), unread_only=unread)
        return paginated(self, request, found, NotificationOutput)


class NotificationReadApi(APIView):
    @extend_schema(request=NotificationReadInput, responses={200: None})
    def post(self, request: Request) -> Response:
        data = valid_input(NotificationReadInput, request)
        count = services.notifications_mark_read(actor=actor_of(request), ids=data.get("ids"))
        return Response({"marked": count})
