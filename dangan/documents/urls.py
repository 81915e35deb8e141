from __future__ import annotations

from django.urls import path

from dangan.documents import views

app_name = "documents"
urlpatterns = [
    path("files/<int:pk>/", views.attachment_download, name="attachment"),
]
