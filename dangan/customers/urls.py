from __future__ import annotations

from django.urls import path

from dangan.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/unmask/", views.customer_unmask, name="unmask"),
    path("<int:pk>/credit/", views.customer_credit, name="credit"),
    path("<int:pk>/related/", views.related_person_add, name="related_add"),
    path(
        "<int:pk>/related/<int:person_pk>/remove/",
        views.related_person_remove,
        name="related_remove",
    ),
]
