from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.changes.api import ChangeRequestOutput
from dangan.changes.models import ChangeRequest
from dangan.core.api import Pagination, id_param, paginated, resolve, text_param, valid_input
from dangan.core.errors import NotFound
from dangan.core.http import actor_of
from dangan.customers import services
from dangan.customers.models import Customer, RelatedPerson


@extend_schema_field(OpenApiTypes.STR)
class _ShownByPolicy(serializers.Field):  # type: ignore[type-arg]
    """A value CustomerOutput.to_representation fills in as the policy shows it to the
    actor (masked or not); the field alone writes nothing."""

    def __init__(self) -> None:
        super().__init__(source="*", required=False)

    def to_representation(self, value: Any) -> str:
        return ""


class CustomerOutput(serializers.Serializer[Customer]):
    """A customer as the API answers it. Field-limited roles (business staff) get only
    policy.LIMITED_CUSTOMER_FIELDS: the document marks the rest optional."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    id_type = serializers.CharField()
    id_number = _ShownByPolicy()
    mobile = serializers.CharField()
    phone = serializers.CharField()
    uscc = serializers.CharField()
    gender = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    address = serializers.CharField()
    tier = serializers.CharField()
    stage = serializers.CharField()
    category = serializers.CharField()
    credit_rating = serializers.CharField()
    credit_limit = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    owner = serializers.IntegerField(source="owner_id")
    department = serializers.IntegerField(source="department_id", allow_null=True)
    created_at = serializers.DateTimeField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name not in policy.LIMITED_CUSTOMER_FIELDS:
                field.required = False

    def to_representation(self, customer: Customer) -> dict[str, Any]:
        """As the actor in the context may see it (context={"actor": user})."""
        actor = self.context["actor"]
        data = dict(super().to_representation(customer))
        # Identity numbers and phones leave the server only as the policy shows them.
        data["id_number"] = policy.shown_id_number(actor, customer)
        data["mobile"] = policy.shown_mobile(actor, customer.mobile)
        data["phone"] = policy.shown_mobile(actor, customer.phone)
        data["related_persons"] = [
            {
                "id": person.pk,
                "relation": person.relation,
                "name": person.name,
                "title": person.title,
                "mobile": policy.shown_mobile(actor, person.mobile),
            }
            for person in customer.related_persons.all()
        ]
        allowed = policy.customer_fields_for(actor)
        if allowed is not None:
            # Field-limited roles (business staff, seed 002 篇4 §4.1) get only what they
            # may see.
            data = {key: value for key, value in data.items() if key in allowed}
        return data


def customer_out(actor: Any, customer: Customer) -> dict[str, Any]:
    return dict(CustomerOutput(customer, context={"actor": actor}).data)


class CustomerInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Customer.Kind.choices)
    name = serializers.CharField(max_length=100)
    id_type = serializers.CharField(required=False, allow_blank=True, max_length=16)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    mobile = serializers.CharField(required=False, allow_blank=True, max_length=20)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    uscc = serializers.CharField(required=False, allow_blank=True, max_length=30)
    uscc_override_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
    gender = serializers.CharField(required=False, allow_blank=True, max_length=8)
    birth_date = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True)
    legal_representative = serializers.CharField(required=False, allow_blank=True, max_length=64)
    registered_capital = serializers.DecimalField(
        required=False, allow_null=True, max_digits=14, decimal_places=2
    )
    industry = serializers.CharField(required=False, allow_blank=True, max_length=64)
    scale = serializers.CharField(required=False, allow_blank=True, max_length=64)
    tier = serializers.CharField(required=False, allow_blank=True, max_length=16)
    stage = serializers.CharField(required=False, allow_blank=True, max_length=16)
    category = serializers.CharField(required=False, allow_blank=True, max_length=16)
    credit_rating = serializers.CharField(required=False, allow_blank=True, max_length=4)
    credit_limit = serializers.DecimalField(
        required=False, allow_null=True, max_digits=14, decimal_places=2
    )
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    owner = serializers.IntegerField(required=False, allow_null=True)
    department = serializers.IntegerField(required=False, allow_null=True)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, help_text="修改原因(按变更控制)"
    )


def _relations(data: dict[str, Any]) -> dict[str, Any]:
    if "owner" in data:
        data["owner"] = resolve(User, data["owner"], "owner", is_active=True)
        if data["owner"] is None:
            data.pop("owner")
    if "department" in data:
        data["department"] = resolve(Department, data["department"], "department")
        if data["department"] is None:
            data.pop("department")
    return data


class CustomerListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="姓名、手机号片段、证件号或后4–6位、档号"),
            OpenApiParameter("kind", str),
            OpenApiParameter("owner", int),
            OpenApiParameter("department", int),
        ],
        responses=CustomerOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, perms.CUSTOMER_VIEW)
        filters: dict[str, Any] = {
            key: text_param(request, key) for key in ("q", "kind", "tier", "stage", "category")
        }
        for key in ("owner", "department"):
            filters[key] = id_param(request, key)
        customers = services.customers_search(actor=actor_of(request), filters=filters)
        # Each answer lists the customer's related persons: one query for the page, not
        # one per customer (a page of 50 made 50 more queries).
        customers = customers.prefetch_related("related_persons")
        return paginated(self, request, customers, CustomerOutput, {"actor": request.user})

    @extend_schema(request=CustomerInput, responses={201: CustomerOutput})
    def post(self, request: Request) -> Response:
        policy.require(request.user, perms.CUSTOMER_CREATE)
        data = dict(valid_input(CustomerInput, request))
        data.pop("reason", None)  # a new customer has nothing to explain
        customer = services.customer_create(actor=actor_of(request), **_relations(data))
        return Response(customer_out(request.user, customer), status=status.HTTP_201_CREATED)


class CustomerDetailApi(APIView):
    @extend_schema(responses=CustomerOutput)
    def get(self, request: Request, pk: int) -> Response:
        customer = services.customer_open(actor=actor_of(request), pk=pk)
        return Response(customer_out(request.user, customer))

    @extend_schema(
        request=CustomerInput(partial=True),
        responses={200: CustomerOutput, 202: ChangeRequestOutput},
    )
    def patch(self, request: Request, pk: int) -> Response:
        """200 with the customer when the change is applied; 202 with the change request
        when its fields need approval (the change control of the customer's dossiers)."""
        customer = policy.access_customer(request.user, pk, action=perms.CUSTOMER_CHANGE)
        if isinstance(request.data, dict):
            # The kind or an unknown field is refused by name, never silently dropped.
            services.check_change_keys({k: v for k, v in request.data.items() if k != "reason"})
        data = dict(valid_input(CustomerInput, request, partial=True))
        reason = data.pop("reason", "")
        result = services.customer_update(
            actor=actor_of(request), customer=customer, changes=_relations(data), reason=reason
        )
        if isinstance(result, ChangeRequest):
            from dangan.changes.api import change_request_out

            body = change_request_out(request.user, result)
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return Response(customer_out(request.user, result))


class RelatedPersonInput(serializers.Serializer[Any]):
    relation = serializers.ChoiceField(choices=RelatedPerson.Relation.choices)
    name = serializers.CharField(max_length=64)
    title = serializers.CharField(required=False, allow_blank=True, max_length=64)
    mobile = serializers.CharField(required=False, allow_blank=True, max_length=20)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class RelatedPersonListApi(APIView):
    @extend_schema(request=RelatedPersonInput, responses={201: CustomerOutput})
    def post(self, request: Request, pk: int) -> Response:
        customer = policy.access_customer(request.user, pk, action=perms.CUSTOMER_CHANGE)
        data = valid_input(RelatedPersonInput, request)
        services.related_person_add(actor=actor_of(request), customer=customer, **data)
        return Response(customer_out(request.user, customer), status=status.HTTP_201_CREATED)


class RelatedPersonDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, person_pk: int) -> Response:
        customer = policy.access_customer(request.user, pk, action=perms.CUSTOMER_CHANGE)
        person = customer.related_persons.filter(pk=person_pk).first()
        if person is None:
            raise NotFound(_("记录不存在或您无权查看"))
        services.related_person_remove(actor=actor_of(request), person=person)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerUnmaskApi(APIView):
    """Reveal the full identity number and phones; the call is recorded ("unmask")."""

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "Unmasked",
            {
                "id_number": serializers.CharField(),
                "mobile": serializers.CharField(),
                "phone": serializers.CharField(),
            },
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        customer = policy.access_customer(request.user, pk)
        return Response(services.customer_unmask(actor=actor_of(request), customer=customer))
