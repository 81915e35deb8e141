from __future__ import annotations

from django.urls import path

from dangan.confirmations import views

app_name = "confirmations"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.sign, name="sign"),
]
