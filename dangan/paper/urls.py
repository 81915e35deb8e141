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
    path("print/", views.dossiers_print, name="dossiers_print"),
    path("checks/", views.checks_page, name="checks"),
    path("checks/record/", views.check_record, name="check_record"),
    path("checks/plans/", views.check_plan_create, name="check_plan_create"),
    path("checks/plans/<int:pk>/", views.check_plan_update, name="check_plan_update"),
    path("<int:pk>/tasks/<int:task>/resolve/", views.task_resolve, name="task_resolve"),
]
