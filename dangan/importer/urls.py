from __future__ import annotations

from django.urls import path

from dangan.importer import views

app_name = "importer"
urlpatterns = [
    path("", views.wizard, name="wizard"),
    path("sample.xlsx", views.sample, name="sample"),
    path("<int:pk>/map/", views.mapping, name="mapping"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/commit/", views.job_commit, name="commit"),
    path("<int:pk>/resume/", views.job_resume, name="resume"),
    path("<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("<int:pk>/refused.xlsx", views.refused, name="refused"),
]
