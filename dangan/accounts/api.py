from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import policy


class MeApi(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "full_name": serializers.CharField(),
                "roles": serializers.ListField(child=serializers.CharField()),
                "department": serializers.CharField(allow_null=True),
                "permissions": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "full_name": user.full_name,  # type: ignore[union-attr]
                "roles": [role.code for role in policy.roles_of(user)],
                "department": user.department.name if user.department else None,  # type: ignore[union-attr]
                "permissions": sorted(policy.permissions_of(user)),
            }
        )
