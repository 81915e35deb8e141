from __future__ import annotations

from django.urls import path

from dangan.rules import views

app_name = "rules"
urlpatterns = [
    path("archive-types/<int:pk>/", views.type_rules, name="type_rules"),
    path("approval/", views.approval_rules, name="approval_rules"),
    path("approval/new/", views.approval_rule_new, name="approval_rule_new"),
    path("approval/<int:pk>/", views.approval_rule_edit, name="approval_rule_edit"),
    path("approval/<int:pk>/delete/", views.approval_rule_delete, name="approval_rule_delete"),
]
