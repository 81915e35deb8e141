"""The paper side's API routes, included by dangan/api_urls.py."""

from __future__ import annotations

from django.urls import path

from dangan.locations import api as locations_api
from dangan.paper import api, copies_api
from dangan.paper.printing import DOSSIER_FORMS

LOCATION_FORMS = ("cabinet", "storage", "labels")

urlpatterns = [
    # One named route per form, so that each can be declared and checked by role.
    *(
        path(
            f"dossiers/<int:pk>/print/{form}.pdf",
            api.DossierPrintApi.as_view(),
            {"form": form},
            name=f"dossier_print_{form}",
        )
        for form in DOSSIER_FORMS
    ),
    path(
        "dossiers/print/<str:form>.pdf",
        api.DossierSelectionPrintApi.as_view(),
        name="dossiers_print",
    ),
    path("locations/", locations_api.LocationListApi.as_view(), name="locations"),
    path("locations/<int:pk>/", locations_api.LocationDetailApi.as_view(), name="location"),
    *(
        path(
            f"locations/<int:pk>/print/{form}.pdf",
            locations_api.LocationPrintApi.as_view(),
            {"form": form},
            name=f"location_print_{form}",
        )
        for form in LOCATION_FORMS
    ),
    path("inventories/", api.InventoryListApi.as_view(), name="inventories"),
    path("inventories/<int:pk>/", api.InventoryDetailApi.as_view(), name="inventory"),
    path("inventories/<int:pk>/scan/", api.InventoryScanApi.as_view(), name="inventory_scan"),
    path("inventories/<int:pk>/close/", api.InventoryCloseApi.as_view(), name="inventory_close"),
    path(
        "inventories/<int:pk>/correct/",
        api.InventoryCorrectApi.as_view(),
        name="inventory_correct",
    ),
    path(
        "inventories/<int:pk>/tasks/<int:task>/resolve/",
        api.InventoryTaskResolveApi.as_view(),
        name="inventory_task_resolve",
    ),
    path(
        "inventories/<int:pk>/report.pdf",
        api.InventoryReportApi.as_view(),
        name="inventory_report",
    ),
    path("check-plans/", api.CheckPlanListApi.as_view(), name="check_plans"),
    path("check-plans/<int:pk>/", api.CheckPlanDetailApi.as_view(), name="check_plan"),
    path("checks/", api.CheckListApi.as_view(), name="checks"),
    path("paper-copies/", copies_api.PaperCopyListApi.as_view(), name="paper_copies"),
    path("paper-copies/<int:pk>/", copies_api.PaperCopyDetailApi.as_view(), name="paper_copy"),
    path(
        "paper-copies/<int:pk>/recall/",
        copies_api.PaperCopyRecallApi.as_view(),
        name="paper_copy_recall",
    ),
    path(
        "paper-copies/<int:pk>/return/",
        copies_api.PaperCopyReturnApi.as_view(),
        name="paper_copy_return",
    ),
    path(
        "paper-copies/<int:pk>/destroy/",
        copies_api.PaperCopyDestroyApi.as_view(),
        name="paper_copy_destroy",
    ),
    path(
        "catalogues/<int:year>/closed.pdf",
        locations_api.ClosedCatalogueApi.as_view(),
        name="closed_catalogue",
    ),
]
