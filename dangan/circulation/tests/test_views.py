"""The pages of use of the archive: requests, approvals, loans, grants, notifications and
the printed slip and register, driven through the Django test client."""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from conftest import _user, audit_actions
from dangan.accounts.models import Grant
from dangan.archives.models import Dossier
from dangan.circulation import lending, services
from dangan.circulation.models import AccessRequest, Loan, Notification
from dangan.circulation.tests.conftest import later

pytestmark = pytest.mark.django_db


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def moment(when: datetime.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def gina(db: Any) -> Any:
    """Business staff of 销售二部: may know every customer, sees no dossier by role."""
    return _user("gina", "business_staff", "销售二部", "何静")


def ask_page(client: Client, dossier: Any, kind: str = "view", **extra: Any) -> Any:
    data = {
        "dossier": dossier.archive_number,
        "kind": kind,
        "purpose": extra.pop("purpose", "核对合同条款"),
        "until": extra.pop("until", moment(later(days=3))),
        **extra,
    }
    return client.post(reverse("circulation:request_create"), data)


class TestViewCycle:
    def test_it_runs_request_approve_view_expire_through_the_pages(
        self, gina: Any, carol: Any, alice: Any, car_dossier: Any
    ) -> None:
        requester = as_user(gina)
        dossier_url = reverse("archives:dossier", args=[car_dossier.pk])
        assert requester.get(dossier_url).status_code == 404

        form = requester.get(reverse("circulation:request_create"), {"dossier": car_dossier.pk})
        assert form.status_code == 200
        assert car_dossier.archive_number in form.content.decode()
        response = ask_page(requester, car_dossier)
        request = AccessRequest.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("circulation:request", args=[request.pk])
        assert request.status == "pending"
        assert request.relation == "other"

        manager = as_user(carol)
        queue = manager.get(reverse("circulation:approvals")).content.decode()
        assert request.number in queue and "其他部门客户" in queue
        assert "待审批" in queue
        row = manager.post(
            reverse("circulation:request_approve", args=[request.pk]),
            {"note": "同意查阅"},
            HTTP_HX_REQUEST="true",
        )
        assert row.status_code == 200
        assert "已同意" in row.content.decode()
        assert "<html" not in row.content.decode()  # the row, not the page

        archivist = as_user(alice)
        response = archivist.post(
            reverse("circulation:request_approve", args=[request.pk]), {"note": ""}
        )
        assert response.status_code == 302
        request.refresh_from_db()
        assert request.status == "approved"
        assert audit_actions(object_type="accessrequest", object_id=str(request.pk)) == [
            "request",
            "approve",
            "approve",
        ]

        detail = requester.get(reverse("circulation:request", args=[request.pk])).content.decode()
        assert "查看档案" in detail and "同意查阅" in detail and str(carol) in detail
        # The approval chain names the roles, not their codes.
        assert "<td>部门经理</td>" in detail and "<td>档案管理员</td>" in detail
        assert "dept_manager" not in detail and "archivist" not in detail
        assert requester.get(dossier_url).status_code == 200
        assert "view" in audit_actions(actor=gina, object_type="dossier")
        grants = requester.get(reverse("circulation:grants")).content.decode()
        assert car_dossier.archive_number in grants

        Grant.objects.filter(pk=request.grant_id).update(
            starts_at=timezone.now() - datetime.timedelta(days=2),
            expires_at=timezone.now() - datetime.timedelta(minutes=1),
        )
        assert requester.get(dossier_url).status_code == 404
        assert (
            car_dossier.archive_number
            not in requester.get(reverse("circulation:grants")).content.decode()
        )

    def test_it_shows_an_out_of_order_approval_in_place_and_changes_nothing(
        self, gina: Any, carol: Any, alice: Any, car_dossier: Any
    ) -> None:
        ask_page(as_user(gina), car_dossier)
        request = AccessRequest.objects.get()
        response = as_user(alice).post(
            reverse("circulation:request_approve", args=[request.pk]), {"note": "先批"}
        )
        assert response.status_code == 200
        assert "尚未轮到您审批" in response.content.decode()
        assert request.steps.filter(status="approved").count() == 0
        assert audit_actions(actor=alice, outcome="denied", action="approve") == ["approve"]

    def test_it_needs_a_note_to_deny(
        self, gina: Any, carol: Any, alice: Any, car_dossier: Any
    ) -> None:
        ask_page(as_user(gina), car_dossier)
        request = AccessRequest.objects.get()
        manager = as_user(carol)
        url = reverse("circulation:request_deny", args=[request.pk])
        row = manager.post(url, {"note": ""}, HTTP_HX_REQUEST="true").content.decode()
        assert "请填写驳回理由" in row
        request.refresh_from_db()
        assert request.status == "pending"
        manager.post(url, {"note": "用途不明"})
        request.refresh_from_db()
        assert request.status == "denied"
        assert "deny" in audit_actions(actor=carol, outcome="success")

    def test_it_lets_the_requester_cancel_while_pending(
        self, gina: Any, carol: Any, alice: Any, car_dossier: Any
    ) -> None:
        client = as_user(gina)
        ask_page(client, car_dossier)
        request = AccessRequest.objects.get()
        assert (
            "撤回申请"
            in client.get(reverse("circulation:request", args=[request.pk])).content.decode()
        )
        client.post(reverse("circulation:request_cancel", args=[request.pk]))
        request.refresh_from_db()
        assert request.status == "cancelled"
        assert audit_actions(actor=gina, action="cancel") == ["cancel"]

    def test_it_shows_the_pending_count_and_notifications_in_the_menu(
        self, gina: Any, carol: Any, alice: Any, car_dossier: Any
    ) -> None:
        ask_page(as_user(gina), car_dossier)
        client = as_user(carol)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("circulation:requests")).content.decode()
        assert 'id="nav-approvals">待审批 <span class="badge warn">1</span>' in page
        assert 'id="nav-notifications">通知 <span class="badge warn">1</span>' in page
        # The badges come from one statement (selectors.menu_counts).
        counted = [q for q in queries.captured_queries if "circulation_notification" in q["sql"]]
        assert len(counted) == 1 and "circulation_approvalstep" in counted[0]["sql"]
        assert "changes_changerequest" in counted[0]["sql"]
        notices = client.get(reverse("circulation:notifications")).content.decode()
        assert "待审批" in notices and "1 条未读" in notices
        client.post(reverse("circulation:notifications_read"))
        assert not Notification.objects.filter(user=carol, read_at__isnull=True).exists()
        page = client.get(reverse("circulation:requests")).content.decode()
        assert 'id="nav-notifications">通知</a>' in page
        assert 'id="nav-approvals">待审批 <span class="badge warn">1</span>' in page


class TestBadInput:
    def test_it_shows_chinese_field_errors_and_stores_nothing(
        self, bob: Any, car_dossier: Any
    ) -> None:
        response = ask_page(as_user(bob), car_dossier, purpose="", until="明天")
        page = response.content.decode()
        assert response.status_code == 200
        assert "该字段是必填项" in page
        assert "请填写有效的日期" in page
        assert AccessRequest.objects.count() == 0

    def test_it_shows_a_period_beyond_the_maximum_in_place(
        self, bob: Any, car_dossier: Any
    ) -> None:
        response = ask_page(as_user(bob), car_dossier, until=moment(later(days=60)))
        assert "期限最长 30 天" in response.content.decode()
        assert AccessRequest.objects.count() == 0
        assert audit_actions(actor=bob, outcome="failed") == ["request"]

    def test_it_answers_an_unknowable_dossier_like_a_missing_one(
        self, dave: Any, car_dossier: Any
    ) -> None:
        from dangan.accounts.models import Role

        role = Role.objects.get(code="account_manager")  # may not discover (issue 27 §1)
        role.permissions = [p for p in role.permissions if p != "dossier.discover"]
        role.save(update_fields=["permissions"])
        client = as_user(dave)
        hidden = ask_page(client, car_dossier).content.decode()
        missing = client.post(
            reverse("circulation:request_create"),
            {"dossier": "NO-SUCH-1", "kind": "view", "purpose": "x", "until": "2099-01-01"},
        ).content.decode()
        assert "记录不存在或您无权查看" in hidden and "记录不存在或您无权查看" in missing
        assert car_dossier.title not in hidden
        assert AccessRequest.objects.count() == 0
        assert audit_actions(actor=dave, outcome="denied") == ["request", "request"]

    def test_it_hides_other_peoples_requests(
        self, gina: Any, dave: Any, carol: Any, alice: Any, car_dossier: Any
    ) -> None:
        ask_page(as_user(gina), car_dossier)
        request = AccessRequest.objects.get()
        client = as_user(dave)
        for name in ("circulation:request", "circulation:request_slip"):
            assert client.get(reverse(name, args=[request.pk])).status_code == 404
        for name in ("circulation:request_approve", "circulation:request_cancel"):
            assert client.post(reverse(name, args=[request.pk])).status_code == 404
        request.refresh_from_db()
        assert request.status == "pending"
        assert "access" in audit_actions(actor=dave, outcome="denied")


class TestBorrowCycle:
    def test_it_lends_renews_and_takes_back_through_the_register(
        self, bob: Any, alice: Any, car_dossier: Any
    ) -> None:
        ask_page(as_user(bob), car_dossier, "borrow", until=moment(later(days=5)))
        request = AccessRequest.objects.get()
        assert request.status == "approved"

        clerk = as_user(alice)
        register = clerk.get(reverse("circulation:loans"), {"request": request.pk})
        assert register.status_code == 200
        assert f'value="{car_dossier.archive_number}"' in register.content.decode()
        response = clerk.post(
            reverse("circulation:loan_create"),
            {
                "dossier": car_dossier.archive_number,
                "borrower": bob.pk,
                "due": moment(later(days=5)),
                "request": request.pk,
            },
        )
        assert response.status_code == 302
        loan = Loan.objects.get()
        dossier_page = clerk.get(
            reverse("archives:dossier", args=[car_dossier.pk])
        ).content.decode()
        assert "借出" in dossier_page and f"借出给 {bob}" in dossier_page

        clerk.post(
            reverse("circulation:loan_renew", args=[loan.pk]), {"due": moment(later(days=20))}
        )
        loan.refresh_from_db()
        assert loan.renewals == 1

        clerk.post(
            reverse("circulation:loan_return", args=[loan.pk]),
            {"complete": "on", "note": "", "damage_note": ""},
        )
        loan.refresh_from_db()
        car_dossier.refresh_from_db()
        assert loan.returned_at is not None
        assert car_dossier.status == Dossier.Status.FILED
        dossier_page = clerk.get(
            reverse("archives:dossier", args=[car_dossier.pk])
        ).content.decode()
        assert "在档" in dossier_page and "借出给" not in dossier_page
        assert audit_actions(action__in=["lend", "renew", "return"]) == ["lend", "renew", "return"]

    def test_it_shows_lending_errors_in_place(self, bob: Any, alice: Any, car_dossier: Any) -> None:
        response = as_user(alice).post(
            reverse("circulation:loan_create"),
            {"dossier": car_dossier.archive_number, "borrower": bob.pk, "due": "2099-01-01"},
        )
        assert "借阅人没有此档案已批准的借阅申请" in response.content.decode()
        assert Loan.objects.count() == 0
        car_dossier.refresh_from_db()
        assert car_dossier.status == Dossier.Status.FILED

    def test_it_shows_an_overdue_loan_in_red_and_renewal_errors_in_place(
        self, bob: Any, alice: Any, car_dossier: Any
    ) -> None:
        services.request_create(
            actor=bob, kind="borrow", dossier_id=car_dossier.pk, purpose="x", until=later(days=3)
        )
        loan = lending.loan_create(
            actor=alice, dossier=car_dossier, borrower=bob, due=later(days=3)
        )
        Loan.objects.filter(pk=loan.pk).update(
            lent_at=timezone.now() - datetime.timedelta(days=5),
            due_at=timezone.now() - datetime.timedelta(days=1),
        )
        clerk = as_user(alice)
        page = clerk.get(reverse("circulation:loans")).content.decode()
        assert "overdue" in page and "逾期" in page
        response = clerk.post(
            reverse("circulation:loan_renew", args=[loan.pk]), {"due": moment(later(days=40))}
        )
        assert "期限最长 30 天" in response.content.decode()
        response = clerk.post(reverse("circulation:loan_return", args=[loan.pk]), {"note": ""})
        assert "归还不完整时须说明缺少的内容" in response.content.decode()
        loan.refresh_from_db()
        assert loan.renewals == 0 and loan.returned_at is None

    def test_it_shows_borrowers_only_their_own_loans(
        self, bob: Any, alice: Any, dave: Any, car_dossier: Any
    ) -> None:
        services.request_create(
            actor=bob, kind="borrow", dossier_id=car_dossier.pk, purpose="x", until=later(days=3)
        )
        loan = lending.loan_create(
            actor=alice, dossier=car_dossier, borrower=bob, due=later(days=3)
        )
        own = as_user(bob).get(reverse("circulation:loans")).content.decode()
        assert car_dossier.archive_number in own and "登记借出" not in own
        other = as_user(dave)
        assert (
            car_dossier.archive_number
            not in other.get(reverse("circulation:loans")).content.decode()
        )
        assert other.get(reverse("circulation:loan", args=[loan.pk])).status_code == 404
        assert other.post(reverse("circulation:loan_return", args=[loan.pk])).status_code == 403
        assert other.post(reverse("circulation:loan_create"), {}).status_code == 403
        loan.refresh_from_db()
        assert loan.returned_at is None


class TestGrants:
    def test_it_lets_the_archivist_revoke_a_grant(
        self, bob: Any, alice: Any, car_dossier: Any
    ) -> None:
        request = services.request_create(
            actor=bob, kind="view", dossier_id=car_dossier.pk, purpose="x", until=later(days=3)
        )
        page = as_user(alice).get(reverse("circulation:grants")).content.decode()
        assert request.number in page and "撤销" in page
        assert "撤销" not in as_user(bob).get(reverse("circulation:grants")).content.decode()
        url = reverse("circulation:grant_revoke", args=[request.grant_id])
        assert as_user(bob).post(url).status_code == 403
        as_user(alice).post(url, {"reason": "项目结束"})
        assert Grant.objects.get(pk=request.grant_id).revoked_at is not None
        assert audit_actions(actor=alice, action="revoke") == ["revoke"]


class TestPrinting:
    def test_it_prints_the_slip_for_the_requester_and_the_archivist(
        self, gina: Any, carol: Any, alice: Any, car_dossier: Any
    ) -> None:
        ask_page(as_user(gina), car_dossier)
        request = AccessRequest.objects.get()
        services.request_approve(actor=carol, request=request, note="可以")
        url = reverse("circulation:request_slip", args=[request.pk])
        for user in (gina, alice):
            response = as_user(user).get(url)
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert response.content.startswith(b"%PDF")
            text = pdf_text(response.content)
            assert "借阅单" in text and request.number in text and "借阅人" in text
        assert as_user(carol).get(url).status_code == 403  # an approver, not the archive room
        assert audit_actions(action="print", object_type="accessrequest") == ["print", "print"]

    def test_it_prints_the_register_for_the_archive_room_only(
        self, bob: Any, alice: Any, car_dossier: Any
    ) -> None:
        services.request_create(
            actor=bob, kind="borrow", dossier_id=car_dossier.pk, purpose="核对", until=later(days=3)
        )
        lending.loan_create(actor=alice, dossier=car_dossier, borrower=bob, due=later(days=3))
        url = reverse("circulation:register_pdf")
        response = as_user(alice).get(url, {"year": timezone.localdate().year})
        assert response.status_code == 200
        assert response.content.startswith(b"%PDF")
        text = pdf_text(response.content)
        assert "借阅登记表" in text and car_dossier.archive_number in text
        assert as_user(bob).get(url).status_code == 403
        assert audit_actions(action="print", actor=alice) == ["print"]


def test_the_loans_page_heads_each_column_once_and_asks_for_a_date_and_time(
    alice: Any, car_dossier: Any
) -> None:
    html = as_user(alice).get(reverse("circulation:loans")).content.decode()
    table = html[html.index('id="open-loans"') :]
    heads = re.findall(r"<th[^>]*>([^<]+)</th>", table[: table.index("</thead>")])
    assert len(heads) == len(set(heads)) and "续借次数" in heads
    lend = html[html.index('id="lend"') :]
    assert 'type="datetime-local"' in lend
    assert "可填日期" not in lend and "选择日期和时间" in lend
