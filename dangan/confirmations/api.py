"""Confirmations through the API: the caller's queue, and confirming or sending back."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.confirmations import services
from dangan.core.api import valid_input
from dangan.core.http import actor_of


class SignInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ConfirmationListApi(APIView):
    """The confirmations whose turn it is and that the caller may sign."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        found = services.waiting_for(actor_of(request))
        return Response({"results": [services.confirmation_out(c) for c in found]})


class ConfirmApi(APIView):
    @extend_schema(request=SignInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        data = valid_input(SignInput, request)
        done = services.document_confirm(actor=actor_of(request), confirmation_id=pk, **data)
        return Response(services.confirmation_out(done))


class RefuseApi(APIView):
    @extend_schema(request=SignInput, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        data = valid_input(SignInput, request)
        done = services.document_refuse(actor=actor_of(request), confirmation_id=pk, **data)
        return Response(services.confirmation_out(done))
