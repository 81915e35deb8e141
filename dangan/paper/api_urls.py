"""The paper side's API routes, included by dangan/api_urls.py."""

from __future__ import annotations

from django.urls import path

from dangan.paper import api
from dangan.paper.printing import DOSSIER_FORMS

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
]
