from __future__ import annotations

from django.urls import path

from dangan.archives import company_views, lifecycle_views, parts_views, views, volumes_views

app_name = "archives"
urlpatterns = [
    path("customers/<int:customer_pk>/dossiers/new/", views.dossier_create, name="dossier_create"),
    path("dossiers/", views.dossier_list, name="dossier_list"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier"),
    path("dossiers/years/", volumes_views.year_volumes, name="year_volumes"),
    path("dossiers/years/<int:pk>/", volumes_views.year_volume, name="year_volume"),
    path(
        "dossiers/company/new/",
        company_views.company_dossier_create,
        name="company_dossier_create",
    ),
    path("dossiers/<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("dossiers/<int:pk>/location/", views.dossier_locate, name="dossier_locate"),
    path(
        "dossiers/<int:pk>/transition/",
        lifecycle_views.dossier_transition,
        name="dossier_transition",
    ),
    path("dossiers/<int:pk>/parts/", parts_views.part_add, name="part_add"),
    path("dossiers/<int:pk>/edit/", views.dossier_edit, name="dossier_edit"),
    path("documents/<int:pk>/void/", views.document_void, name="document_void"),
    path("documents/<int:pk>/supersede/", views.document_supersede, name="document_supersede"),
    path("archive-types/", views.type_list, name="type_list"),
    path("archive-types/<int:pk>/", views.type_detail, name="type_detail"),
    path("archive-types/items/<int:pk>/", views.item_edit, name="item_edit"),
    path("archive-types/items/<int:pk>/move/", views.item_move, name="item_move"),
]
