from __future__ import annotations

from django.urls import path

from dangan.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("export.xlsx", views.audit_export, name="export"),
    path("verify/", views.audit_check, name="verify"),
]
