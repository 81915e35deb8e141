"""Issue 23 through the API: the dossier's status — where it stands, where it may go, how
it got there (GET), and a move (POST, archives.lifecycle.dossier_transition) — and its
dated parts (卷内分组)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives import lifecycle, parts
from dangan.archives.models import Dossier, DossierPart, DossierStatusChange
from dangan.core.api import valid_input
from dangan.core.http import actor_of


class StatusChangeOutput(serializers.ModelSerializer[DossierStatusChange]):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = DossierStatusChange
        fields = ["id", "from_status", "to_status", "channel", "reason", "effective", "actor", "at"]

    def get_actor(self, obj: DossierStatusChange) -> str:
        if obj.actor is None:
            return ""
        return obj.actor.get_full_name() or obj.actor.username


class NextStateOutput(serializers.Serializer[Any]):
    status = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF takes declared fields out
    status_label = serializers.CharField()


class LifecycleOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    archive_number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    since = serializers.DateField()
    allowed = NextStateOutput(many=True)
    history = StatusChangeOutput(many=True)


class TransitionInput(serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=Dossier.Status.choices)
    reason = serializers.CharField(max_length=lifecycle.REASON_MAX)
    effective = serializers.DateField(required=False, allow_null=True)


def _lifecycle(actor: Any, dossier: Dossier) -> dict[str, Any]:
    return LifecycleOutput(
        {
            "id": dossier.pk,
            "archive_number": dossier.archive_number,
            "status": dossier.status,
            "status_label": lifecycle.status_label(dossier.archive_type, dossier.status),
            "since": lifecycle.status_since(dossier),
            "allowed": lifecycle.allowed_next(actor, dossier),
            "history": lifecycle.status_history(dossier),
        }
    ).data


class DossierTransitionApi(APIView):
    @extend_schema(responses=LifecycleOutput)
    def get(self, request: Request, pk: int) -> Response:
        dossier = policy.access_dossier(request.user, pk)
        return Response(_lifecycle(request.user, dossier))

    @extend_schema(request=TransitionInput, responses=LifecycleOutput)
    def post(self, request: Request, pk: int) -> Response:
        dossier = policy.access_dossier(request.user, pk)
        data = valid_input(TransitionInput, request)
        dossier = lifecycle.dossier_transition(
            actor=actor_of(request),
            dossier=dossier,
            to=data["to"],
            reason=data["reason"],
            effective=data.get("effective"),
        )
        return Response(_lifecycle(request.user, dossier))


class PartOutput(serializers.ModelSerializer[DossierPart]):
    document_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = DossierPart
        fields = ["id", "label", "date", "document_count", "created_at"]


class PartInput(serializers.Serializer[Any]):
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]  # as above
    date = serializers.DateField()


class DossierPartListApi(APIView):
    @extend_schema(responses=PartOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        dossier = policy.access_dossier(request.user, pk, action=perms.DOCUMENT_VIEW)
        return Response(PartOutput(parts.dossier_parts(dossier), many=True).data)

    @extend_schema(request=PartInput, responses={201: PartOutput})
    def post(self, request: Request, pk: int) -> Response:
        dossier = policy.access_dossier(request.user, pk, action=perms.DOCUMENT_UPLOAD)
        data = valid_input(PartInput, request)
        part = parts.dossier_part_add(
            actor=actor_of(request), dossier=dossier, label=data["label"], date=data["date"]
        )
        return Response(PartOutput(part).data, status=status.HTTP_201_CREATED)
