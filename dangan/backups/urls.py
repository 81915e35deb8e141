from __future__ import annotations

from django.urls import path

from dangan.backups import views

app_name = "backups"
urlpatterns = [
    path("", views.index, name="index"),
    path("run/", views.request_now, name="run"),
]
