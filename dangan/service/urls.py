from __future__ import annotations

from django.urls import path

from dangan.service import views

app_name = "service"
urlpatterns = [
    path("", views.ticket_list, name="tickets"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/transition/", views.ticket_transition, name="ticket_transition"),
    path("tickets/<int:pk>/assign/", views.ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/attach/", views.ticket_attach, name="ticket_attach"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:pk>/done/", views.contact_done, name="contact_done"),
    path("transactions/", views.transactions, name="transactions"),
    path("stays/", views.stays, name="stays"),
    path("customers/<int:pk>/", views.customer_panel, name="customer_panel"),
    path("notices/", views.notices, name="notices"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/ack/", views.notice_ack, name="notice_ack"),
    path("stats/", views.stats, name="stats"),
    path("export/<slug:kind>.xlsx", views.export, name="export"),
]
