"""Lending fit for paper (issue 27 §3): originals stay in the room, chosen pieces, walk-in
lends approved on the spot where the rules allow, the hand-out queue, and returns that
record lateness, completeness and damage as priced findings."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from conftest import audit_actions
from dangan.archives.services import dossier_create
from dangan.circulation import lending, selectors, services
from dangan.circulation.models import AccessRequest, ApprovalRule, Loan
from dangan.circulation.tests.conftest import later
from dangan.core.errors import ApplicationError
from dangan.documents.models import Document
from dangan.documents.services import document_add
from dangan.intake.models import Finding

pytestmark = pytest.mark.django_db

RE_FIELDS = {"building": "3", "unit": "3-1203", "payment": "按揭", "contract_date": "2026-10-08"}


def add(actor: Any, dossier: Any, code: str, carrier: str = Document.Carrier.PAPER_COPY) -> Any:
    item = dossier.archive_type.items.get(code=code)
    return document_add(actor=actor, dossier=dossier, checklist_item=item, carrier=carrier)


@pytest.fixture
def sale(templates: Any, alice: Any, bob: Any, bobs_customer: Any) -> Any:
    """Bob's customer's real-estate dossier: a copy of the ID card, and the sale contract,
    an original (原件属公司机密文件)."""
    dossier = dossier_create(
        actor=bob, customer=bobs_customer, archive_type=templates["RE-SALE"], fields=RE_FIELDS
    )
    dossier.id_copy = add(alice, dossier, "ID_COPY")
    dossier.contract = add(alice, dossier, "SALE_CONTRACT", Document.Carrier.PAPER_ORIGINAL)
    return dossier


def ask(actor: Any, dossier: Any, kind: str = "borrow", **kw: Any) -> AccessRequest:
    return services.request_create(
        actor=actor,
        kind=kind,
        dossier_id=dossier.pk,
        purpose="核对合同",
        until=kw.pop("until", later(days=3)),
        **kw,
    )


class TestOriginalsStayInTheRoom:
    def test_it_lends_a_dossier_without_its_originals(self, alice: Any, bob: Any, sale: Any):
        request = ask(bob, sale)  # the whole dossier: accepted, the originals stay
        assert request.status == "approved"
        assert list(selectors.handout_queue()) == [request]
        with pytest.raises(ApplicationError) as exc:
            lending.loan_create(actor=alice, dossier=sale, borrower=bob, due=later(days=3))
        assert exc.value.field == "without_originals"
        assert Loan.objects.count() == 0
        loan = lending.loan_create(
            actor=alice, dossier=sale, borrower=bob, due=later(days=3), without_originals=True
        )
        assert loan.scope == "without_originals"
        assert list(loan.documents.all()) == [sale.id_copy]
        assert selectors.originals_kept(loan) == [sale.contract]
        assert list(selectors.handout_queue()) == []
        sale.refresh_from_db()
        assert sale.status == "on_loan"
        assert audit_actions(actor=alice, outcome="failed") == ["lend"]

    def test_it_lends_chosen_pieces_but_never_an_original(self, alice: Any, bob: Any, sale: Any):
        ask(bob, sale)
        with pytest.raises(ApplicationError, match="原始资料不外借") as exc:
            lending.loan_create(
                actor=alice,
                dossier=sale,
                borrower=bob,
                due=later(days=3),
                documents=[sale.contract.pk],
            )
        assert exc.value.field == "documents"
        loan = lending.loan_create(
            actor=alice, dossier=sale, borrower=bob, due=later(days=3), documents=[sale.id_copy.pk]
        )
        assert loan.scope == "documents"
        assert selectors.originals_kept(loan) == [sale.contract]

    def test_a_request_for_pieces_lends_those_pieces(self, alice: Any, bob: Any, sale: Any):
        ask(bob, sale, document_ids=[sale.id_copy.pk])
        loan = lending.loan_create(actor=alice, dossier=sale, borrower=bob, due=later(days=3))
        assert loan.scope == "documents"
        assert list(loan.documents.all()) == [sale.id_copy]

    def test_it_refuses_a_borrow_request_naming_an_original(self, bob: Any, sale: Any):
        with pytest.raises(ApplicationError) as exc:
            ask(bob, sale, document_ids=[sale.contract.pk])
        assert exc.value.field == "documents"
        assert AccessRequest.objects.count() == 0


class TestCopiesOfOriginals:
    @pytest.fixture
    def member(self, templates: Any, alice: Any, bob: Any, bobs_customer: Any) -> Any:
        dossier = dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["MEMBER"],
            fields={
                "program": "融智论坛",
                "member_kind": "会员",
                "first_attend_date": "2026-09-10",
            },
        )
        registration = dossier.archive_type.items.filter(original=True).first()
        dossier.original = document_add(
            actor=alice,
            dossier=dossier,
            checklist_item=registration,
            carrier=Document.Carrier.PAPER_ORIGINAL,
        )
        return dossier

    def test_it_refuses_copies_where_the_type_forbids_them(self, bob: Any, member: Any):
        """002 篇4 管理制度5: 原始资料只可查寻,不可借阅、发放."""
        with pytest.raises(ApplicationError, match="不得复制") as exc:
            ask(bob, member, "copy", document_ids=[member.original.pk])
        assert exc.value.field == "documents"
        with pytest.raises(ApplicationError, match="不得复制"):
            ask(bob, member, "copy")  # the whole dossier holds the original
        assert AccessRequest.objects.count() == 0
        assert ask(bob, member, "view").status == "approved"  # viewing stays open

    def test_it_allows_copies_of_originals_elsewhere(self, bob: Any, sale: Any):
        assert ask(bob, sale, "copy", document_ids=[sale.contract.pk]).status == "pending"


class TestWalkIn:
    def test_it_lends_at_the_desk_when_the_chain_is_the_lenders(
        self, alice: Any, bob: Any, sale: Any
    ):
        loan = lending.loan_walk_in(
            actor=alice,
            dossier=sale,
            borrower=bob,
            due=later(days=2),
            purpose="客户来访核对",
            without_originals=True,
        )
        request = loan.request
        assert request is not None
        assert (request.requester, request.filed_by, request.status) == (bob, alice, "approved")
        assert loan.scope == "without_originals"
        assert audit_actions(object_type="accessrequest", object_id=str(request.pk)) == [
            "request",
            "approve",
        ]

    def test_it_refuses_when_a_step_needs_someone_else(
        self, alice: Any, carol: Any, dave: Any, sale: Any
    ):
        """Dave (销售二部) asks for 销售一部's customer: its manager signs first."""
        with pytest.raises(ApplicationError, match="不能当场借出") as exc:
            lending.loan_walk_in(
                actor=alice,
                dossier=sale,
                borrower=dave,
                due=later(days=2),
                purpose="核对",
                without_originals=True,
            )
        assert exc.value.field == "borrower"
        assert AccessRequest.objects.count() == 0
        assert Loan.objects.count() == 0
        assert audit_actions(actor=alice, outcome="failed") == ["lend"]

    def test_a_rule_may_let_the_archive_room_approve_at_the_desk(
        self, alice: Any, carol: Any, dave: Any, sale: Any
    ):
        """Seed 000: 查阅(借出)须经部门经理或档案管理人员批准."""
        ApprovalRule.objects.filter(relation="other").update(desk_approval=True)
        loan = lending.loan_walk_in(
            actor=alice,
            dossier=sale,
            borrower=dave,
            due=later(days=2),
            purpose="核对",
            without_originals=True,
        )
        steps = list(loan.request.steps.order_by("position")) if loan.request else []
        assert [(s.role, s.status, s.approver) for s in steps] == [
            ("dept_manager", "approved", alice),
            ("archivist", "approved", alice),
        ]
        assert "当场" in steps[0].note


class TestReturns:
    def test_a_late_incomplete_damaged_return_becomes_priced_findings(
        self, alice: Any, bob: Any, sale: Any
    ):
        ask(bob, sale)
        loan = lending.loan_create(
            actor=alice, dossier=sale, borrower=bob, due=later(days=1), without_originals=True
        )
        past = timezone.now() - datetime.timedelta(days=3)
        Loan.objects.filter(pk=loan.pk).update(lent_at=past, due_at=past + datetime.timedelta(1))
        loan = lending.loan_return(
            actor=alice, loan=loan, complete=False, note="缺身份证复印件", damage_note="封皮撕裂"
        )
        assert (loan.returned_late, loan.return_complete) == (True, False)
        found = {f.kind: f for f in Finding.objects.filter(dossier=sale)}
        assert set(found) == {"return_late", "return_incomplete", "return_damaged"}
        assert all(f.responsible == bob and f.source == "loan" for f in found.values())
        assert found["return_late"].status == "fixed"  # nothing left to correct
        assert found["return_incomplete"].status == "open"
        assert "500" in found["return_incomplete"].rule  # seed 000: 造成档案丢失罚款500元
        from dangan.intake.penalties import month_of, violations

        month = month_of(timezone.localdate())
        fines = {v.finding.kind: v.amount for v in violations(month)}
        assert fines == {"return_incomplete": Decimal("500.00")}  # late, damage: no fine set

    def test_an_on_time_complete_return_records_nothing(self, alice: Any, bob: Any, sale: Any):
        ask(bob, sale)
        loan = lending.loan_create(
            actor=alice, dossier=sale, borrower=bob, due=later(days=1), without_originals=True
        )
        loan = lending.loan_return(actor=alice, loan=loan, complete=True)
        assert loan.returned_late is False
        assert not Finding.objects.exists()


class TestApi:
    def test_it_lends_without_originals_and_lists_the_queue(
        self, client: Any, alice: Any, bob: Any, sale: Any
    ):
        request = ask(bob, sale)
        client.force_login(alice)
        queue = client.get("/api/v1/loans/queue/").json()
        assert [r["id"] for r in queue["results"]] == [request.pk]
        body = {"dossier": sale.pk, "borrower": bob.pk, "due": later(days=2).isoformat()}
        refused = client.post("/api/v1/loans/", body, content_type="application/json")
        assert refused.status_code == 400
        assert list(refused.json()) == ["without_originals"]
        made = client.post(
            "/api/v1/loans/", {**body, "without_originals": True}, content_type="application/json"
        )
        assert made.status_code == 201, made.json()
        assert made.json()["scope"] == "without_originals"
        assert made.json()["originals_kept"] == [sale.contract.pk]
        assert made.json()["documents"] == [sale.id_copy.pk]

    def test_it_takes_chosen_documents_and_walk_ins(
        self, client: Any, alice: Any, bob: Any, sale: Any
    ):
        client.force_login(alice)
        body = {
            "dossier": sale.pk,
            "borrower": bob.pk,
            "due": later(days=2).isoformat(),
            "documents": [sale.contract.pk],
            "walk_in": True,
            "purpose": "来访",
        }
        refused = client.post("/api/v1/loans/", body, content_type="application/json")
        assert refused.status_code == 400
        assert list(refused.json()) == ["documents"]
        made = client.post(
            "/api/v1/loans/",
            {**body, "documents": [sale.id_copy.pk]},
            content_type="application/json",
        )
        assert made.status_code == 201, made.json()
        assert (made.json()["scope"], made.json()["walk_in"]) == ("documents", True)

    def test_the_queue_is_for_lenders(self, client: Any, bob: Any):
        client.force_login(bob)
        assert client.get("/api/v1/loans/queue/").status_code == 403


class TestPages:
    def test_the_lend_form_refuses_originals_in_chinese_and_saves_nothing(
        self, client: Any, alice: Any, bob: Any, sale: Any
    ):
        ask(bob, sale)
        client.force_login(alice)
        page = client.post(
            "/circulation/loans/new/",
            {
                "dossier": sale.archive_number,
                "borrower": bob.pk,
                "due": later(days=2).strftime("%Y-%m-%dT%H:%M"),
            },
        )
        assert page.status_code == 200
        assert "原件不外借" in page.content.decode()
        assert Loan.objects.count() == 0

    def test_the_loans_page_lists_the_hand_out_queue_and_lends_without_originals(
        self, client: Any, alice: Any, bob: Any, sale: Any
    ):
        request = ask(bob, sale)
        client.force_login(alice)
        page = client.get("/circulation/loans/").content.decode()
        assert request.number in page and 'id="handout"' in page
        form = client.get(f"/circulation/loans/?request={request.pk}").content.decode()
        assert "原件,留存档案室" in form  # the contract, named as staying
        done = client.post(
            "/circulation/loans/new/",
            {
                "dossier": sale.archive_number,
                "borrower": bob.pk,
                "due": later(days=2).strftime("%Y-%m-%dT%H:%M"),
                "request": request.pk,
                "without_originals": "on",
            },
        )
        assert done.status_code == 302
        loan = Loan.objects.get()
        detail = client.get(f"/circulation/loans/{loan.pk}/").content.decode()
        assert 'id="originals-kept"' in detail and "商品房买卖合同" in detail

    def test_a_walk_in_from_the_form_needs_a_purpose(
        self, client: Any, alice: Any, bob: Any, sale: Any
    ):
        client.force_login(alice)
        data = {
            "dossier": sale.archive_number,
            "borrower": bob.pk,
            "due": later(days=2).strftime("%Y-%m-%dT%H:%M"),
            "without_originals": "on",
            "walk_in": "on",
        }
        page = client.post("/circulation/loans/new/", data)
        assert "请填写用途" in page.content.decode()
        assert AccessRequest.objects.count() == 0
        client.post("/circulation/loans/new/", {**data, "purpose": "客户来访"})
        assert Loan.objects.get().request.filed_by == alice
