from __future__ import annotations

from django.urls import path

from dangan.disposal import views

app_name = "disposal"
urlpatterns = [
    path("due/", views.due, name="due"),
    path("due.xlsx", views.due_xlsx, name="due_xlsx"),
    path("lists/", views.lists, name="lists"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("lists/<int:pk>/appraise/", views.appraise, name="appraise"),
    path("lists/<int:pk>/approve/", views.approve, name="approve"),
    path("lists/<int:pk>/destroy/", views.destroy, name="destroy"),
    path("lists/<int:pk>/restore/", views.restore, name="restore"),
    path("customers/<int:pk>/hold/", views.customer_hold, name="customer_hold"),
    path("register/", views.register, name="register"),
    path("register.pdf", views.register_pdf, name="register_pdf"),
    path("register.xlsx", views.register_xlsx, name="register_xlsx"),
]
