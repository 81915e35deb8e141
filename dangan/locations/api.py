"""The archive room's places through the API (the same services as the pages)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.api import valid_input
from dangan.core.errors import ApplicationError
from dangan.core.http import actor_of, pdf_response
from dangan.locations import selectors, services
from dangan.locations.models import Location
from dangan.paper import lists
from dangan.paper.api import PDF_RESPONSE, _start


class LocationOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    # "parent" is also a Field attribute in the stubs; here it is the outer place's id.
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]
    kind = serializers.CharField()
    name = serializers.CharField()
    path = serializers.CharField()
    depth = serializers.IntegerField()
    capacity = serializers.IntegerField(allow_null=True)
    held = serializers.IntegerField()
    note = serializers.CharField()


def _out(row: selectors.TreeRow) -> dict[str, Any]:
    node = row.node
    return {
        "id": node.pk,
        "parent": node.parent_id,
        "kind": node.kind,
        "name": node.name,
        "path": row.path,
        "depth": row.depth,
        "capacity": node.capacity,
        "held": row.held,
        "note": node.note,
    }


class LocationInput(serializers.Serializer[Any]):
    parent = serializers.IntegerField(  # type: ignore[assignment]  # as in LocationOutput
        required=False, allow_null=True, min_value=1
    )
    kind = serializers.ChoiceField(choices=Location.Kind.choices)
    name = serializers.CharField(max_length=40)
    capacity = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class LocationPatchInput(serializers.Serializer[Any]):
    capacity = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class LocationListApi(APIView):
    @extend_schema(responses=LocationOutput(many=True))
    def get(self, request: Request) -> Response:
        policy.require(request.user, perms.DOSSIER_VIEW)
        return Response([_out(row) for row in selectors.tree()])

    @extend_schema(request=LocationInput, responses=LocationOutput)
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require(actor, perms.DOSSIER_LOCATE)
        data = valid_input(LocationInput, request)
        parent = None
        if data.get("parent"):
            parent = Location.objects.filter(pk=data["parent"]).first()
            if parent is None:
                raise ApplicationError(_("上级位置不存在"), field="parent")
        node = services.location_create(
            actor=actor,
            kind=data["kind"],
            name=data["name"],
            parent=parent,
            capacity=data.get("capacity"),
            note=data.get("note") or "",
        )
        return Response(_out(selectors.tree(node)[0]), status=status.HTTP_201_CREATED)


class LocationDetailApi(APIView):
    @extend_schema(responses=LocationOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """The place and everything inside it, depth first."""
        node = services.access_location(actor_of(request), pk)
        return Response([_out(row) for row in selectors.tree(node)])

    @extend_schema(request=LocationPatchInput, responses=LocationOutput)
    def patch(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        node = services.access_location(actor, pk)
        data = valid_input(LocationPatchInput, request)
        node = services.location_change(
            actor=actor,
            location=node,
            capacity=data.get("capacity", node.capacity),
            note=data.get("note"),
        )
        return Response(_out(selectors.tree(node)[0]))


class LocationPrintApi(APIView):
    """A place's lists: cabinet (档案柜文件清单), storage (文件资料存储清单), labels
    (labels of the places inside it, A4 14-up)."""

    @extend_schema(responses=PDF_RESPONSE)
    def get(self, request: Request, pk: int, form: str) -> HttpResponse:
        actor = actor_of(request)
        node = services.access_location(actor, pk)
        if form == "cabinet":
            content = lists.cabinet_list_pdf(actor=actor, node=node)
        elif form == "storage":
            content = lists.storage_list_pdf(actor=actor, node=node)
        else:
            content = lists.place_labels_pdf(actor=actor, node=node, start=_start(request))
        return pdf_response(content, f"{form}-{node.pk}.pdf")


class ClosedCatalogueApi(APIView):
    """The year's catalogue of terminated and moved-out dossiers (those the caller sees)."""

    @extend_schema(responses=PDF_RESPONSE)
    def get(self, request: Request, year: int) -> HttpResponse:
        actor = actor_of(request)
        if not 1900 <= year <= 2200:
            raise ApplicationError(_("年度不正确"), field="year")
        return pdf_response(
            lists.closed_catalogue_pdf(actor=actor, year=year), f"closed-{year}.pdf"
        )
