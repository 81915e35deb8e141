from __future__ import annotations

from django.urls import path

from dangan.home import views

app_name = "home"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard.xlsx", views.dashboard_xlsx, name="dashboard_xlsx"),
    path("reminders/", views.reminders, name="reminders"),
    path("reminders/done/", views.reminder_done, name="reminder_done"),
]
