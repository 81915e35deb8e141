"""Administration: users (system admin), roles and lockouts (security admin)."""

from __future__ import annotations

from django.urls import path

from dangan.accounts import manage_views

app_name = "manage"
urlpatterns = [
    path("", manage_views.manage_home, name="home"),
]
