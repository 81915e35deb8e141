from __future__ import annotations

from django.urls import path

from dangan.changes import views

app_name = "changes"
urlpatterns = [
    path("", views.change_request_list, name="list"),
    path("<int:pk>/approve/", views.change_request_approve, name="approve"),
    path("<int:pk>/deny/", views.change_request_deny, name="deny"),
]
