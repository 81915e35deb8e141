from __future__ import annotations

from django.urls import path

from dangan.handover import views

app_name = "handover"
urlpatterns = [
    path("", views.handover_list, name="list"),
    path("new/", views.handover_new, name="new"),
    path("desk/", views.desk, name="desk"),
    path("departure/", views.departure, name="departure"),
    path("<int:pk>/", views.handover_detail, name="detail"),
    path("<int:pk>/verify/", views.handover_verify, name="verify"),
    path("<int:pk>/sign/", views.handover_sign, name="sign"),
    path("<int:pk>/slip.pdf", views.handover_slip, name="slip"),
]
