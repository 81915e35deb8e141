from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives.models import ChecklistItem, DossierPart
from dangan.audit.services import audit_record
from dangan.core.api import Pagination, id_param, paginated, resolve, valid_input
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import actor_of
from dangan.documents import services
from dangan.documents.models import Attachment, Document
from dangan.documents.views import copy_response


class AttachmentOutput(serializers.ModelSerializer[Attachment]):
    sha256 = serializers.CharField(source="blob_id")
    size = serializers.IntegerField(source="blob.size")
    content_type = serializers.CharField(source="blob.content_type")

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "sha256", "size", "content_type", "uploaded_at"]


class DocumentOutput(serializers.ModelSerializer[Document]):
    document_type: serializers.SlugRelatedField[ChecklistItem] = serializers.SlugRelatedField(
        source="checklist_item", slug_field="code", read_only=True
    )
    attachments = AttachmentOutput(many=True, read_only=True)
    supersedes = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "dossier",
            "document_type",
            "part",
            "piece_number",
            "title",
            "responsible",
            "doc_date",
            "pages",
            "carrier",
            "state",
            "state_reason",
            "state_changed_at",
            "superseded_by",
            "supersedes",
            "remarks",
            "created_at",
            "attachments",
        ]

    def get_supersedes(self, obj: Document) -> list[int]:
        """The documents this one replaced."""
        return [doc.pk for doc in obj.supersedes.all()]


class DocumentInput(serializers.Serializer[Any]):
    dossier = serializers.IntegerField()
    document_type = serializers.CharField(
        required=False, allow_blank=True, help_text="清单项代码或编号;留空为清单外文件"
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    responsible = serializers.CharField(required=False, allow_blank=True, max_length=100)
    doc_date = serializers.DateField(required=False, allow_null=True)
    pages = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    carrier = serializers.ChoiceField(
        choices=Document.Carrier.choices, required=False, default="paper_copy"
    )
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=200)
    file = serializers.FileField(required=False, allow_empty_file=True)
    part = serializers.IntegerField(
        required=False, allow_null=True, help_text="卷内分组编号(同一档案内的一次服务、一次入住)"
    )


def _checklist_item(dossier_type_id: int, key: str) -> ChecklistItem | None:
    if not key:
        return None
    items = ChecklistItem.objects.filter(archive_type_id=dossier_type_id)
    found = items.filter(code=key.strip().upper()).first()
    if found is None and key.isdigit():
        found = items.filter(pk=int(key)).first()
    if found is None:
        raise ApplicationError(_("该档案类型的清单中没有此文件类型"), field="document_type")
    return found


class DocumentListApi(APIView):
    pagination_class = Pagination  # the lists it answers (schema and runtime)

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[OpenApiParameter("dossier", int)], responses=DocumentOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        policy.require(request.user, perms.DOCUMENT_VIEW)
        documents = policy.documents_for(request.user).select_related("checklist_item")
        dossier = id_param(request, "dossier")
        if dossier is not None:
            documents = documents.filter(dossier_id=dossier)
        documents = documents.prefetch_related("attachments__blob").order_by(
            "dossier_id", "piece_number"
        )
        return paginated(self, request, documents, DocumentOutput)

    @extend_schema(request={"multipart/form-data": DocumentInput}, responses={201: DocumentOutput})
    def post(self, request: Request) -> Response:
        policy.require(request.user, perms.DOCUMENT_UPLOAD)
        data = valid_input(DocumentInput, request)
        try:
            dossier = policy.access_dossier(request.user, data["dossier"])
        except NotFound:
            raise ApplicationError(_("档案不存在或您无权查看"), field="dossier") from None
        upload = data.get("file")
        document = services.document_add(
            actor=actor_of(request),
            dossier=dossier,
            checklist_item=_checklist_item(
                dossier.archive_type_id, data.get("document_type") or ""
            ),
            title=data.get("title") or "",
            responsible=data.get("responsible") or "",
            doc_date=data.get("doc_date"),
            pages=data.get("pages"),
            carrier=data.get("carrier") or "paper_copy",
            remarks=data.get("remarks") or "",
            file_name=upload.name if upload else "",
            file_chunks=upload.chunks() if upload else None,
            part=resolve(DossierPart, data.get("part"), "part", dossier=dossier),
        )
        return Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED)


class DocumentDetailApi(APIView):
    @extend_schema(responses=DocumentOutput)
    def get(self, request: Request, pk: int) -> Response:
        document = policy.access_document(request.user, pk)
        audit_record(actor=actor_of(request), action="view", obj=document)
        return Response(DocumentOutput(document).data)


class AttachmentDownloadApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, pk: int) -> HttpResponse:
        copy = services.attachment_download(actor=actor_of(request), attachment_id=pk)
        return copy_response(copy, as_attachment=True)


class ReasonInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class DocumentVoidApi(APIView):
    """作废: the document stays, marked void, with the reason; 200 with the document."""

    @extend_schema(request=ReasonInput, responses=DocumentOutput)
    def post(self, request: Request, pk: int) -> Response:
        document = policy.access_document(request.user, pk)
        policy.access_dossier(request.user, document.dossier_id, action=perms.DOSSIER_CHANGE)
        data = valid_input(ReasonInput, request)
        document = services.document_void(
            actor=actor_of(request), document=document, reason=data["reason"]
        )
        return Response(DocumentOutput(document).data)


class SupersedeInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)
    file = serializers.FileField(allow_empty_file=False)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    responsible = serializers.CharField(required=False, allow_blank=True, max_length=100)
    doc_date = serializers.DateField(required=False, allow_null=True)
    pages = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    carrier = serializers.ChoiceField(choices=Document.Carrier.choices, required=False)
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=200)


class DocumentSupersedeApi(APIView):
    """替换: the new scan is filed as a new document of the same item; the old one stays,
    marked superseded and linked to it; 201 with the new document."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": SupersedeInput}, responses={201: DocumentOutput})
    def post(self, request: Request, pk: int) -> Response:
        document = policy.access_document(request.user, pk)
        policy.access_dossier(request.user, document.dossier_id, action=perms.DOSSIER_CHANGE)
        policy.access_dossier(request.user, document.dossier_id, action=perms.DOCUMENT_UPLOAD)
        data = valid_input(SupersedeInput, request)
        upload = data["file"]
        new = services.document_supersede(
            actor=actor_of(request),
            document=document,
            reason=data["reason"],
            title=data.get("title") or "",
            responsible=data.get("responsible") or "",
            doc_date=data.get("doc_date"),
            pages=data.get("pages"),
            carrier=data.get("carrier") or "",
            remarks=data.get("remarks") or "",
            file_name=upload.name,
            file_chunks=upload.chunks(),
        )
        return Response(DocumentOutput(new).data, status=status.HTTP_201_CREATED)
