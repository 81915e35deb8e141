from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from dangan.service import services
from dangan.service.models import Ticket

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_customer_service_takes_a_complaint_on_the_pages(
    cs: Any, bobs_customer: Any, property_dossier: Any
) -> None:
    web = client_for(cs)
    form = web.get(f"/service/tickets/new/?customer={bobs_customer.pk}")
    assert form.status_code == 200 and "受理投诉/报修" in form.content.decode()
    made = web.post(
        "/service/tickets/new/",
        {
            "customer": bobs_customer.pk,
            "category": "complaint",
            "source": "phone",
            "dossier": property_dossier.pk,
            "description": "楼道灯不亮",
        },
        follow=True,
    )
    page = made.content.decode()
    assert "已受理工单" in page and "开始处理" in page
    ticket = Ticket.objects.get()
    url = f"/service/tickets/{ticket.pk}/transition/"
    web.post(url, {"to": "resolved", "outcome": "已更换灯泡"})
    closed = web.post(url, {"to": "closed"}, follow=True)
    assert "须回访客户后才能关闭" in closed.content.decode()
    web.post(url, {"to": "visited", "satisfaction": "5"})
    web.post(url, {"to": "closed"})
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.satisfaction == 5
    listing = web.get("/service/?status=").content.decode()
    assert ticket.number in listing


def test_the_customer_page_shows_the_service_panel(cs: Any, bobs_customer: Any) -> None:
    services.ticket_create(
        actor=cs, customer_id=bobs_customer.pk, category="repair", description="水龙头漏水"
    )
    web = client_for(cs)
    assert "service/customers" in web.get(f"/customers/{bobs_customer.pk}/").content.decode()
    panel = web.get(f"/service/customers/{bobs_customer.pk}/").content.decode()
    assert "水龙头漏水" in panel and "受理投诉/报修" in panel


def test_other_departments_get_404_and_nothing_changes(
    cs: Any, dave: Any, bobs_customer: Any
) -> None:
    ticket = services.ticket_create(
        actor=cs, customer_id=bobs_customer.pk, category="repair", description="x"
    )
    web = client_for(dave)
    assert web.get(f"/service/tickets/{ticket.pk}/").status_code == 404
    assert (
        web.post(f"/service/tickets/{ticket.pk}/transition/", {"to": "in_progress"}).status_code
        == 404
    )
    assert web.get(f"/service/customers/{bobs_customer.pk}/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "received"


def test_a_contact_is_logged_from_its_page(bob: Any, bobs_customer: Any) -> None:
    web = client_for(bob)
    saved = web.post(
        f"/service/contacts/?customer={bobs_customer.pk}",
        {"kind": "call", "date": "2026-12-01", "summary": "询问交房时间"},
        follow=True,
    )
    assert "联系记录已保存" in saved.content.decode()
    assert "询问交房时间" in saved.content.decode()


def test_the_export_is_an_excel_sheet_with_labels(cs: Any, carol: Any, bobs_customer: Any) -> None:
    services.ticket_create(
        actor=cs, customer_id=bobs_customer.pk, category="complaint", description="噪音"
    )
    answer = client_for(carol).get("/service/export/tickets.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "工单号" and rows[1][3] == "投诉" and rows[1][7] == "受理"
    assert sheet.freeze_panes == "A2"
    assert client_for(cs).get("/service/export/tickets.xlsx").status_code == 403
