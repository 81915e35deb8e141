"""Administration: users (system admin), roles and lockouts (security admin)."""

from __future__ import annotations

from django.urls import path

from dangan.accounts import manage_views

app_name = "manage"
urlpatterns = [
    path("", manage_views.manage_home, name="home"),
    path("users/", manage_views.user_list, name="users"),
    path("users/new/", manage_views.user_create, name="user_create"),
    path("users/<int:pk>/", manage_views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", manage_views.user_password, name="user_password"),
    path("roles/", manage_views.role_list, name="roles"),
    path("roles/new/", manage_views.role_create, name="role_create"),
    path("roles/<int:pk>/", manage_views.role_edit, name="role_edit"),
]
