from __future__ import annotations

from django.urls import path

from dangan.paper import views

app_name = "paper"
urlpatterns = [
    path("", views.inventory_list, name="inventory_list"),
    path("start/", views.inventory_start, name="inventory_start"),
    path("<int:pk>/", views.inventory_detail, name="inventory"),
    path("<int:pk>/close/", views.inventory_close, name="inventory_close"),
    path("<int:pk>/correct/", views.inventory_correct, name="inventory_correct"),
]
