from __future__ import annotations

from django.urls import path

import dangan.intake.views as views

app_name = "intake"
urlpatterns = [
    path("findings/", views.finding_list, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/fix/", views.finding_fix, name="finding_fix"),
    path("findings/<int:pk>/statement/", views.statement_submit, name="statement_submit"),
    path("statements/<int:pk>/approve/", views.statement_approve, name="statement_approve"),
    path("statements/<int:pk>/deny/", views.statement_deny, name="statement_deny"),
    path("dossiers/<int:pk>/audit/", views.dossier_audit, name="dossier_audit"),
    path("dossiers/<int:pk>/facts/", views.dossier_facts, name="dossier_facts"),
    path("dossiers/<int:pk>/findings/new/", views.finding_new, name="finding_new"),
    path("statement/", views.statement, name="statement"),
    path("statement.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("statement/assess/", views.penalties_assess, name="penalties_assess"),
    path("overdue/", views.overdue, name="overdue"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/load/", views.calendar_load, name="calendar_load"),
    path("calendar/<int:pk>/remove/", views.calendar_remove, name="calendar_remove"),
]
