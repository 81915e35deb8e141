"""The rules' API routes, included by dangan/api_urls.py."""

from __future__ import annotations

from django.urls import path

from dangan.rules import api

urlpatterns = [
    path("approval-rules/", api.ApprovalRuleListApi.as_view(), name="approval_rules"),
    path("approval-rules/preview/", api.ApprovalPreviewApi.as_view(), name="approval_rule_preview"),
    path("approval-rules/<int:pk>/", api.ApprovalRuleDetailApi.as_view(), name="approval_rule"),
    path(
        "approval-rules/<int:pk>/versions/",
        api.ApprovalRuleVersionsApi.as_view(),
        name="approval_rule_versions",
    ),
]
