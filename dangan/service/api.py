"""REST API for service records (SPEC C13): tickets and their transitions, the contact
log, transactions, stays, notices, and the month's counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.core.api import (
    MAX_ID,
    Pagination,
    id_param,
    paginated,
    resolve,
    text_param,
    valid_input,
)
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of
from dangan.service import selectors, services
from dangan.service.models import Contact, Notice, Stay, Ticket, Transaction

CUSTOMER_FILTER = OpenApiParameter("customer", int, description="only this customer's records")


class TicketOutput(serializers.ModelSerializer[Ticket]):
    category = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)
    contact_phone = serializers.SerializerMethodField()
    allowed = serializers.SerializerMethodField(help_text="the `to` values a transition may ask")
    documents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "dossier",
            "subject",
            "category",
            "category_name",
            "source",
            "description",
            "contact_name",
            "contact_phone",
            "handler",
            "department",
            "status",
            "status_name",
            "deadline",
            "outcome",
            "satisfaction",
            "visit_note",
            "visited_at",
            "reopened",
            "documents",
            "created_by",
            "received_at",
            "resolved_at",
            "closed_at",
            "allowed",
        ]

    def get_contact_phone(self, obj: Ticket) -> str:
        return policy.shown_mobile(self.context["actor"], obj.contact_phone)

    def get_allowed(self, obj: Ticket) -> list[str]:
        return services.allowed_moves(obj)


class TicketInput(serializers.Serializer[Any]):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    category = serializers.CharField(max_length=32)
    description = serializers.CharField(max_length=5000)
    # "source" is also an attribute of DRF fields in the stubs; the input field is meant.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=Ticket.Source.choices, default=Ticket.Source.PHONE
    )
    dossier = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    handler = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    contact_name = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    contact_phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default=""
    )


class TransitionInput(serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=[*Ticket.Status.values, Ticket.REOPEN])
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    outcome = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    satisfaction = serializers.IntegerField(required=False, allow_null=True, default=None)


def _ticket(actor: User, ticket: Ticket) -> dict[str, Any]:
    return dict(TicketOutput(ticket, context={"actor": actor}).data)


class TicketListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(
        parameters=[
            CUSTOMER_FILTER,
            OpenApiParameter("status", str, description="a status code, or `open`"),
            OpenApiParameter("category", str),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("q", str),
        ],
        responses=TicketOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.SERVICE_VIEW)
        found = selectors.ticket_list(
            actor,
            customer=id_param(request, "customer"),
            status=text_param(request, "status", 20),
            category=text_param(request, "category", 32),
            overdue=request.query_params.get("overdue", "") in ("1", "true"),
            q=text_param(request, "q"),
        )
        return paginated(self, request, found, TicketOutput, {"actor": actor})

    @extend_schema(request=TicketInput, responses={201: TicketOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.SERVICE_RECORD)
        data = valid_input(TicketInput, request)
        created = services.ticket_create(
            actor=actor,
            customer_id=data["customer"],
            category=data["category"],
            description=data["description"],
            source=data["source"],
            dossier_id=data.get("dossier"),
            handler=resolve(User, data.get("handler"), "handler", is_active=True),
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
        )
        return Response(_ticket(actor, created), status=status.HTTP_201_CREATED)


class TicketDetailApi(APIView):
    @extend_schema(responses=TicketOutput)
    def get(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        return Response(_ticket(actor, policy.access_service_record(actor, Ticket, pk)))


class TicketTransitionApi(APIView):
    """Move a ticket: `to` one of received/in_progress/resolved/visited/closed or
    `reopen`; a move the table does not allow answers 409 naming the allowed ones."""

    @extend_schema(request=TransitionInput, responses=TicketOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        data = valid_input(TransitionInput, request)
        moved = services.ticket_transition(
            actor=actor,
            ticket_id=pk,
            to=data["to"],
            note=data["note"],
            outcome=data["outcome"],
            satisfaction=data["satisfaction"],
        )
        return Response(_ticket(actor, moved))


class StatsApi(APIView):
    """The month's tickets by category, handler and satisfaction, within the caller's
    scope (`month=YYYY-MM`, this month if absent)."""

    @extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM")])
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.SERVICE_VIEW)
        text = text_param(request, "month", 7)
        month = selectors.parse_month(text) if text else timezone.localdate()
        if month is None:
            raise ApplicationError(_("月份格式应为 YYYY-MM"), field="month")
        return Response(selectors.month_stats(actor, month).as_dict())


class ContactOutput(serializers.ModelSerializer[Contact]):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "customer_name",
            "kind",
            "date",
            "people",
            "summary",
            "follow_up",
            "follow_up_done_at",
            "follow_up_note",
            "created_by",
            "created_at",
        ]


class ContactInput(serializers.Serializer[Any]):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=Contact.Kind.choices)
    date = serializers.DateField()
    people = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=5000)
    follow_up = serializers.DateField(required=False, allow_null=True, default=None)


class ContactListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(
        parameters=[CUSTOMER_FILTER, OpenApiParameter("pending", bool)],
        responses=ContactOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.SERVICE_VIEW)
        found = selectors.contact_list(
            actor,
            customer=id_param(request, "customer"),
            pending=request.query_params.get("pending", "") in ("1", "true"),
        )
        return paginated(self, request, found, ContactOutput)

    @extend_schema(request=ContactInput, responses={201: ContactOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.SERVICE_RECORD)
        data = valid_input(ContactInput, request)
        created = services.contact_create(
            actor=actor,
            customer_id=data["customer"],
            kind=data["kind"],
            date=data["date"],
            people=data["people"],
            summary=data["summary"],
            follow_up=data["follow_up"],
        )
        return Response(ContactOutput(created).data, status=status.HTTP_201_CREATED)


class FollowUpInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ContactDoneApi(APIView):
    @extend_schema(request=FollowUpInput, responses=ContactOutput)
    def post(self, request: Request, pk: int) -> Response:
        data = valid_input(FollowUpInput, request)
        done = services.contact_follow_up_done(
            actor=actor_of(request), contact_id=pk, note=data["note"]
        )
        return Response(ContactOutput(done).data)


class TransactionOutput(serializers.ModelSerializer[Transaction]):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "customer",
            "customer_name",
            "kind",
            "date",
            "amount",
            "method",
            "contract_number",
            "reason_lost",
            "note",
            "created_by",
            "created_at",
        ]


class TransactionInput(serializers.Serializer[Any]):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=Transaction.Kind.choices)
    date = serializers.DateField()
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    method = serializers.ChoiceField(
        choices=Transaction.Method.choices, required=False, allow_blank=True, default=""
    )
    contract_number = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default=""
    )
    reason_lost = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class _RecordListApi(APIView):
    """A customer's dated service records of one kind (transactions, stays): the list
    within the reader's scope, and recording one."""

    pagination_class = Pagination  # the lists it answers (schema and runtime)
    output: type[serializers.ModelSerializer[Any]]
    input: type[serializers.Serializer[Any]]
    select: Callable[..., Any]
    create: Callable[..., Any]

    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.SERVICE_VIEW)
        found = type(self).select(actor, customer=id_param(request, "customer"))
        return paginated(self, request, found, self.output)

    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.SERVICE_RECORD)
        data = valid_input(self.input, request)
        created = type(self).create(actor=actor, customer_id=data.pop("customer"), **data)
        return Response(self.output(created).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(parameters=[CUSTOMER_FILTER], responses=TransactionOutput(many=True)),
    post=extend_schema(request=TransactionInput, responses={201: TransactionOutput}),
)
class TransactionListApi(_RecordListApi):
    output, input = TransactionOutput, TransactionInput
    select = staticmethod(selectors.transaction_list)
    create = staticmethod(services.transaction_create)


class StayOutput(serializers.ModelSerializer[Stay]):
    class Meta:
        model = Stay
        fields = [
            "id",
            "customer",
            "arrival",
            "departure",
            "room",
            "spend",
            "preferences",
            "created_by",
            "created_at",
        ]


class StayInput(serializers.Serializer[Any]):
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    arrival = serializers.DateField()
    departure = serializers.DateField()
    room = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    spend = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    preferences = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )


@extend_schema_view(
    get=extend_schema(parameters=[CUSTOMER_FILTER], responses=StayOutput(many=True)),
    post=extend_schema(request=StayInput, responses={201: StayOutput}),
)
class StayListApi(_RecordListApi):
    output, input = StayOutput, StayInput
    select = staticmethod(selectors.stay_list)
    create = staticmethod(services.stay_create)


class ReceiptOutput(serializers.Serializer[Any]):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.__str__")
    acknowledged_at = serializers.DateTimeField(allow_null=True)


class NoticeOutput(serializers.ModelSerializer[Notice]):
    receipts = ReceiptOutput(many=True, read_only=True)

    class Meta:
        model = Notice
        fields = ["id", "number", "direction", "title", "body", "sender", "created_at", "receipts"]


class NoticeInput(serializers.Serializer[Any]):
    direction = serializers.ChoiceField(choices=Notice.Direction.choices)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000)
    recipients = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False
    )


class NoticeListApi(APIView):
    """Notices the caller sent or received."""

    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(responses=NoticeOutput(many=True))
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        found = selectors.notices_for(actor).prefetch_related("receipts__user")
        return paginated(self, request, found, NoticeOutput)

    @extend_schema(request=NoticeInput, responses={201: NoticeOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.NOTICE_SEND)
        data = valid_input(NoticeInput, request)
        people = list(User.objects.filter(pk__in=data["recipients"], is_active=True))
        if len(people) != len(set(data["recipients"])):
            raise ApplicationError(_("接收人不存在或已停用"), field="recipients")
        created = services.notice_send(
            actor=actor,
            direction=data["direction"],
            title=data["title"],
            body=data["body"],
            recipients=people,
        )
        return Response(NoticeOutput(created).data, status=status.HTTP_201_CREATED)


class NoticeAckApi(APIView):
    @extend_schema(request=None, responses=NoticeOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        receipt = services.notice_acknowledge(actor=actor, notice_id=pk)
        return Response(NoticeOutput(receipt.notice).data)
