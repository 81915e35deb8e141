"""REST API v1 (SPEC §4)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dangan.accounts.api import MeApi
from dangan.archives.api import (
    ArchiveTypeDetailApi,
    ArchiveTypeListApi,
    DossierChecklistApi,
    DossierDetailApi,
    DossierListApi,
)
from dangan.audit.api import AuditExportApi, AuditListApi
from dangan.customers.api import (
    CustomerDetailApi,
    CustomerListApi,
    CustomerUnmaskApi,
    RelatedPersonDetailApi,
    RelatedPersonListApi,
)
from dangan.documents.api import AttachmentDownloadApi, DocumentDetailApi, DocumentListApi

app_name = "api"
urlpatterns = [
    path("me/", MeApi.as_view(), name="me"),
    path("customers/", CustomerListApi.as_view(), name="customers"),
    path("customers/<int:pk>/", CustomerDetailApi.as_view(), name="customer"),
    path("customers/<int:pk>/unmask/", CustomerUnmaskApi.as_view(), name="customer_unmask"),
    path(
        "customers/<int:pk>/related-persons/",
        RelatedPersonListApi.as_view(),
        name="customer_related_persons",
    ),
    path(
        "customers/<int:pk>/related-persons/<int:person_pk>/",
        RelatedPersonDetailApi.as_view(),
        name="customer_related_person",
    ),
    path("archive-types/", ArchiveTypeListApi.as_view(), name="archive_types"),
    path("archive-types/<str:key>/", ArchiveTypeDetailApi.as_view(), name="archive_type"),
    path("dossiers/", DossierListApi.as_view(), name="dossiers"),
    path("dossiers/<int:pk>/", DossierDetailApi.as_view(), name="dossier"),
    path("dossiers/<int:pk>/checklist/", DossierChecklistApi.as_view(), name="dossier_checklist"),
    path("documents/", DocumentListApi.as_view(), name="documents"),
    path("documents/<int:pk>/", DocumentDetailApi.as_view(), name="document"),
    path("files/<int:pk>/", AttachmentDownloadApi.as_view(), name="file"),
    path("audit/", AuditListApi.as_view(), name="audit"),
    path("audit/export.xlsx", AuditExportApi.as_view(), name="audit_export"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
