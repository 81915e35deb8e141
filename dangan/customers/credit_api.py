"""Finance's credit endpoint: POST /api/v1/customers/{id}/credit/ (seed 001)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.api import valid_input
from dangan.core.http import actor_of
from dangan.customers import credit


class CreditInput(serializers.Serializer[Any]):
    credit_rating = serializers.ChoiceField(choices=["", *credit.RATINGS])
    credit_limit = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, min_value=0
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CreditOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    credit_rating = serializers.CharField()
    credit_limit = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class CustomerCreditApi(APIView):
    """Finance sets a customer's credit rating and limit (audited)."""

    @extend_schema(request=CreditInput, responses=CreditOutput)
    def post(self, request: Request, pk: int) -> Response:
        policy.require(request.user, perms.CUSTOMER_CREDIT)
        customer = policy.access_customer(request.user, pk)
        data = valid_input(CreditInput, request)
        customer = credit.customer_credit_set(actor=actor_of(request), customer=customer, **data)
        return Response(CreditOutput(customer).data)
