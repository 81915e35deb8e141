"""The signed-in user's own account: security settings, two-factor login, API tokens;
and the security administrator's lockout page."""

from __future__ import annotations

from django.urls import path

from dangan.accounts import views

app_name = "accounts"
urlpatterns = [
    path("security/", views.security_settings, name="security"),
    path("password/", views.password_change, name="password_change"),
    path("2fa/setup/", views.totp_setup, name="totp_setup"),
    path("2fa/disable/", views.totp_disable, name="totp_disable"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("lockouts/", views.lockout_list, name="lockouts"),
    path("lockouts/<int:pk>/unlock/", views.lockout_lift, name="lockout_lift"),
]
