from __future__ import annotations

from django.urls import path

from dangan.locations import views

app_name = "locations"
urlpatterns = [
    path("", views.location_list, name="list"),
    path("<int:pk>/", views.location_detail, name="detail"),
    path("link/", views.location_link, name="link"),
    path("place/<int:pk>/", views.dossier_place, name="dossier_place"),
]
