from __future__ import annotations

from django.urls import path

from dangan.paper import copies_views as views

app_name = "copies"
urlpatterns = [
    path("", views.copy_list, name="list"),
    path("<int:pk>/", views.copy_detail, name="detail"),
    path("<int:pk>/recall/", views.copy_recall, name="recall"),
    path("<int:pk>/return/", views.copy_return, name="return"),
    path("<int:pk>/destroy/", views.copy_destroy, name="destroy"),
]
