"""The signed-in user's own account: security settings, two-factor login, API tokens."""

from __future__ import annotations

from django.urls import path

from dangan.accounts import views

app_name = "accounts"
urlpatterns = [
    path("security/", views.security_settings, name="security"),
]
