from __future__ import annotations

from django.urls import path

from dangan.circulation import views

app_name = "circulation"
urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<int:pk>/approve/", views.request_approve, name="request_approve"),
    path("requests/<int:pk>/deny/", views.request_deny, name="request_deny"),
    path("requests/<int:pk>/slip.pdf", views.request_slip, name="request_slip"),
    path("approvals/", views.approvals, name="approvals"),
    path("loans/", views.loans, name="loans"),
    path("loans/new/", views.loan_create, name="loan_create"),
    path("loans/<int:pk>/", views.loan_detail, name="loan"),
    path("loans/<int:pk>/renew/", views.loan_renew, name="loan_renew"),
    path("loans/<int:pk>/return/", views.loan_return, name="loan_return"),
    path("grants/", views.grants, name="grants"),
    path("grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("register.pdf", views.register_pdf, name="register_pdf"),
]
