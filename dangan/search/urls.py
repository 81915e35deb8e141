from __future__ import annotations

from django.urls import path

from dangan.search import views

app_name = "search"
urlpatterns = [path("", views.search_results, name="results")]
