from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from conftest import audit_actions
from dangan.accounts import policy
from dangan.accounts.models import Grant
from dangan.archives.models import Dossier
from dangan.circulation import lending, services
from dangan.circulation.models import AccessRequest, ApprovalStep, Loan
from dangan.circulation.tests.conftest import later, tonight
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.documents.models import Document

pytestmark = pytest.mark.django_db


def ask(actor: Any, dossier: Any, kind: str = "view", **kw: Any) -> AccessRequest:
    return services.request_create(
        actor=actor,
        kind=kind,
        dossier_id=dossier.pk,
        purpose=kw.pop("purpose", "核对合同"),
        until=kw.pop("until", later(days=3)),
        **kw,
    )


def steps(request: AccessRequest) -> list[tuple[str, str, str]]:
    return [
        (s.role, str(s.department or "*"), s.status)
        for s in ApprovalStep.objects.filter(request=request).order_by("position")
    ]


def badges(*users: Any) -> list[int]:
    """The menu's approval badge of each user, checked against the list it counts."""
    from dangan.circulation.selectors import approvals_count, approvals_for, menu_counts

    counts = [approvals_count(u) for u in users]
    assert counts == [approvals_for(u).count() for u in users]
    assert counts == [menu_counts(u)[0] for u in users]  # the menu asks for all at once
    return counts


def set_confidentiality(dossier: Any, level: str) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(confidentiality=level)
    dossier.refresh_from_db()


class TestRequestCreate:
    def test_it_approves_an_own_view_at_once_and_grants_it(self, bob: Any, car_dossier: Any):
        request = ask(bob, car_dossier)
        assert request.number.startswith(f"JY-{timezone.localdate().year}-")
        assert request.status == "approved"
        assert request.relation == "own"
        grant = Grant.objects.get(pk=request.grant_id)
        assert (grant.user, grant.object_id, grant.action) == (bob, car_dossier.pk, "view")
        assert grant.expires_at == request.until
        assert steps(request) == []
        assert audit_actions(object_id=str(request.pk), object_type="accessrequest") == [
            "request",
            "approve",
        ]
        assert "grant" in audit_actions(object_type="dossier", object_id=str(car_dossier.pk))

    def test_it_sends_a_department_request_to_the_requesters_manager(
        self, eve: Any, carol: Any, car_dossier: Any
    ):
        request = ask(eve, car_dossier)
        assert request.relation == "department"
        assert steps(request) == [("dept_manager", "销售一部", "pending")]
        with pytest.raises(NotFound):  # business staff cannot open dossiers by role
            policy.access_dossier(eve, car_dossier.pk)
        services.request_approve(actor=carol, request=request, note="同意")
        request.refresh_from_db()
        assert request.status == "approved"
        assert policy.access_dossier(eve, car_dossier.pk) == car_dossier

    def test_it_needs_the_manager_for_a_copy_of_an_own_customer(
        self, bob: Any, carol: Any, car_dossier: Any
    ):
        request = ask(bob, car_dossier, "copy")
        assert request.status == "pending"
        assert steps(request) == [("dept_manager", "销售一部", "pending")]

    def test_it_sends_top_secret_to_the_director(self, carol: Any, dora: Any, car_dossier: Any):
        set_confidentiality(car_dossier, "top_secret")
        with pytest.raises(NotFound):  # beyond carol's clearance (机密)
            policy.access_dossier(carol, car_dossier.pk)
        request = ask(carol, car_dossier, until=tonight())
        assert steps(request) == [("director", "*", "pending")]
        services.request_approve(actor=dora, request=request)
        assert policy.access_dossier(carol, car_dossier.pk) == car_dossier

    def test_it_reports_an_unknowable_dossier_like_a_missing_one(self, dave: Any, car_dossier: Any):
        from dangan.accounts.models import Role

        role = Role.objects.get(code="account_manager")  # a role that may not discover
        role.permissions = [p for p in role.permissions if p != "dossier.discover"]
        role.save(update_fields=["permissions"])
        with pytest.raises(NotFound) as hidden:
            ask(dave, car_dossier)
        with pytest.raises(NotFound) as missing:
            services.request_create(
                actor=dave, kind="view", dossier_id=999999, purpose="x", until=later(days=1)
            )
        assert str(hidden.value.message) == str(missing.value.message)
        assert AccessRequest.objects.count() == 0
        assert audit_actions(actor=dave, outcome="denied") == ["request", "request"]

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"purpose": "  "}, "purpose"),
            ({"until": "2026-01-01"}, "until"),
            ({"kind": "steal"}, "kind"),
        ],
    )
    def test_it_refuses_bad_input(self, bob: Any, car_dossier: Any, changes: Any, field: str):
        data = {"kind": "view", "purpose": "核对", "until": later(days=1)} | changes
        with pytest.raises(ApplicationError) as exc:
            services.request_create(actor=bob, dossier_id=car_dossier.pk, **data)
        assert exc.value.field == field
        assert AccessRequest.objects.count() == 0
        assert audit_actions(actor=bob, action="request", outcome="failed") == ["request"]

    def test_it_refuses_a_past_or_too_long_period(self, bob: Any, car_dossier: Any):
        for until in (later(hours=-1), later(days=31)):
            with pytest.raises(ApplicationError) as exc:
                ask(bob, car_dossier, "borrow", until=until)
            assert exc.value.field == "until"
        assert ask(bob, car_dossier, "borrow", until=later(days=29)).status == "approved"

    def test_it_keeps_secret_dossiers_to_the_same_day(self, bob: Any, car_dossier: Any):
        set_confidentiality(car_dossier, "secret")
        with pytest.raises(ApplicationError, match="当日"):
            ask(bob, car_dossier, "borrow", until=later(days=1, hours=1))
        assert ask(bob, car_dossier, "borrow", until=tonight()).status == "approved"

    def test_it_refuses_documents_of_another_dossier(
        self, bob: Any, car_dossier: Any, templates: Any, bobs_customer: Any
    ):
        from conftest import another_car
        from dangan.archives.services import dossier_create
        from dangan.documents.services import document_add

        other = dossier_create(
            actor=bob,
            customer=bobs_customer,
            archive_type=templates["CAR-SALE"],
            fields=another_car(1),
        )
        foreign = document_add(
            actor=bob, dossier=other, checklist_item=other.archive_type.items.first()
        )
        with pytest.raises(ApplicationError) as exc:
            ask(bob, car_dossier, document_ids=[foreign.pk])
        assert exc.value.field == "documents"
        own = document_add(
            actor=bob, dossier=car_dossier, checklist_item=car_dossier.archive_type.items.first()
        )
        request = ask(bob, car_dossier, document_ids=[own.pk])
        assert list(request.documents.all()) == [own]


class TestApprovalChain:
    def test_it_runs_the_other_department_chain_in_order(
        self, frank: Any, carol: Any, alice: Any, dave: Any, car_dossier: Any
    ):
        request = ask(frank, car_dossier, "copy")
        assert request.relation == "other"
        assert steps(request) == [
            ("dept_manager", "销售一部", "pending"),
            ("archivist", "*", "waiting"),
        ]
        # The manager's step is bound to a department, the archivist's to none.
        assert badges(carol, alice, dave, frank) == [1, 0, 0, 0]
        with pytest.raises(InvalidTransition):  # out of order: the manager comes first
            services.request_approve(actor=alice, request=request)
        with pytest.raises(Forbidden):  # not an approver of this request at all
            services.request_approve(actor=dave, request=request)
        with pytest.raises(Forbidden):  # one's own request
            services.request_approve(actor=frank, request=request)
        services.request_approve(actor=carol, request=request, note="同意复制")
        assert steps(request)[0][2] == "approved"
        assert steps(request)[1][2] == "pending"
        assert badges(carol, alice, dave, frank) == [0, 1, 0, 0]
        with pytest.raises(Forbidden):  # carol's step is done; the next is the archivist's
            services.request_approve(actor=carol, request=request)
        services.request_approve(actor=alice, request=request)
        request.refresh_from_db()
        assert request.status == "approved"
        assert request.grant is not None and request.grant.action == "copy"
        assert badges(carol, alice, dave, frank) == [0, 0, 0, 0]
        with pytest.raises(InvalidTransition):  # twice
            services.request_approve(actor=alice, request=request)
        assert audit_actions(object_type="accessrequest", object_id=str(request.pk)) == [
            "request",
            "approve",  # alice, out of order (denied)
            "approve",  # dave (denied)
            "approve",  # frank, own (denied)
            "approve",  # carol
            "approve",  # carol again (denied)
            "approve",  # alice
            "approve",  # alice twice (denied)
        ]
        assert audit_actions(
            object_type="accessrequest", object_id=str(request.pk), outcome="success"
        ) == ["request", "approve", "approve"]

    def test_it_stops_the_chain_when_denied(
        self, frank: Any, carol: Any, alice: Any, car_dossier: Any
    ):
        request = ask(frank, car_dossier, "borrow")
        with pytest.raises(ApplicationError) as exc:
            services.request_deny(actor=carol, request=request, note=" ")
        assert exc.value.field == "note"
        services.request_deny(actor=carol, request=request, note="用途不明")
        request.refresh_from_db()
        assert request.status == "denied"
        assert [s[2] for s in steps(request)] == ["denied", "skipped"]
        with pytest.raises(InvalidTransition):
            services.request_approve(actor=alice, request=request)
        assert frank.notifications.filter(text__contains="已驳回").exists()

    def test_it_lets_only_the_requester_cancel_a_pending_request(
        self, eve: Any, carol: Any, car_dossier: Any
    ):
        request = ask(eve, car_dossier)
        with pytest.raises(Forbidden):
            services.request_cancel(actor=carol, request=request)
        services.request_cancel(actor=eve, request=request)
        request.refresh_from_db()
        assert request.status == "cancelled"
        with pytest.raises(InvalidTransition):
            services.request_cancel(actor=eve, request=request)
        with pytest.raises(InvalidTransition):
            services.request_approve(actor=carol, request=request)

    def test_it_queues_requests_for_their_approvers_only(
        self, frank: Any, carol: Any, alice: Any, dave: Any, car_dossier: Any
    ):
        from dangan.circulation.selectors import approvals_count, approvals_for

        request = ask(frank, car_dossier, "copy")
        assert list(approvals_for(carol)) == [request]
        assert list(approvals_for(alice)) == []
        assert list(approvals_for(dave)) == []
        assert list(approvals_for(frank)) == []
        # The menu's badge counts the same queue.
        assert [approvals_count(u) for u in (carol, alice, dave, frank)] == [1, 0, 0, 0]
        assert carol.notifications.filter(text__contains=request.number).exists()


class TestGrants:
    def test_it_denies_after_the_grant_expires(self, eve: Any, carol: Any, car_dossier: Any):
        request = ask(eve, car_dossier)
        services.request_approve(actor=carol, request=request)
        request.refresh_from_db()
        assert policy.access_dossier(eve, car_dossier.pk)
        Grant.objects.filter(pk=request.grant_id).update(
            starts_at=timezone.now() - datetime.timedelta(days=2),
            expires_at=timezone.now() - datetime.timedelta(seconds=1),
        )
        with pytest.raises(NotFound):
            policy.access_dossier(eve, car_dossier.pk)

    def test_it_lets_the_archivist_revoke_a_grant(
        self, eve: Any, carol: Any, alice: Any, car_dossier: Any
    ):
        request = ask(eve, car_dossier)
        services.request_approve(actor=carol, request=request)
        grant = Grant.objects.get(pk=AccessRequest.objects.get(pk=request.pk).grant_id)
        with pytest.raises(Forbidden):
            services.grant_revoke(actor=carol, grant=grant)
        services.grant_revoke(actor=alice, grant=grant, reason="项目结束")
        with pytest.raises(NotFound):
            policy.access_dossier(eve, car_dossier.pk)
        with pytest.raises(InvalidTransition):
            services.grant_revoke(actor=alice, grant=grant)
        assert audit_actions(object_type="grant", object_id=str(grant.pk)) == [
            "revoke",
            "revoke",
            "revoke",
        ]


class TestLoans:
    def test_it_lends_renews_and_takes_back(self, bob: Any, alice: Any, car_dossier: Any):
        request = ask(bob, car_dossier, "borrow", until=later(days=7))
        assert request.status == "approved"
        loan = lending.loan_create(
            actor=alice, dossier=car_dossier, borrower=bob, due=later(days=7)
        )
        car_dossier.refresh_from_db()
        assert car_dossier.status == "on_loan"
        assert loan.request == request
        with pytest.raises(ApplicationError, match="已借出"):
            lending.loan_create(actor=alice, dossier=car_dossier, borrower=bob, due=later(days=7))
        with pytest.raises(ApplicationError, match="30"):  # total period beyond the maximum
            lending.loan_renew(actor=alice, loan=loan, due=loan.lent_at + datetime.timedelta(31))
        loan = lending.loan_renew(actor=alice, loan=loan, due=later(days=20))
        assert loan.renewals == 1
        with pytest.raises(ApplicationError) as exc:
            lending.loan_return(actor=alice, loan=loan, complete=False)
        assert exc.value.field == "note"
        lending.loan_return(
            actor=alice, loan=loan, complete=False, note="缺第3页", damage_note="封皮破损"
        )
        car_dossier.refresh_from_db()
        assert car_dossier.status == "filed"
        with pytest.raises(InvalidTransition):  # returning what is not on loan
            lending.loan_return(actor=alice, loan=loan, complete=True)
        with pytest.raises(InvalidTransition):
            lending.loan_renew(actor=alice, loan=loan, due=later(days=3))
        actions = audit_actions(
            object_type="dossier", object_id=str(car_dossier.pk), outcome="success"
        )
        # Lending and returning move the dossier through its transition table (issue 23).
        assert actions[-5:] == ["transition", "lend", "renew", "transition", "return"]
        assert [
            (c.from_status, c.to_status, c.channel) for c in car_dossier.status_changes.all()
        ] == [
            ("on_loan", "filed", "loan"),
            ("filed", "on_loan", "loan"),
        ]
        refused = audit_actions(actor=alice, outcome__in=["failed", "denied"])
        assert refused == ["lend", "renew", "return", "return", "renew"]

    def test_it_needs_an_approved_unused_borrow_request(
        self, bob: Any, alice: Any, frank: Any, car_dossier: Any
    ):
        with pytest.raises(ApplicationError) as exc:
            lending.loan_create(actor=alice, dossier=car_dossier, borrower=bob, due=later(days=3))
        assert exc.value.field == "borrower"
        pending = ask(frank, car_dossier, "borrow")
        with pytest.raises(ApplicationError) as exc:
            lending.loan_create(
                actor=alice, dossier=car_dossier, borrower=frank, due=later(days=3), request=pending
            )
        assert exc.value.field == "request"
        assert Loan.objects.count() == 0

    def test_it_lets_only_archivists_lend(self, bob: Any, carol: Any, car_dossier: Any):
        ask(bob, car_dossier, "borrow")
        with pytest.raises(Forbidden):
            lending.loan_create(actor=carol, dossier=car_dossier, borrower=bob, due=later(days=3))

    def test_it_never_lends_originals(self, bob: Any, alice: Any, car_dossier: Any):
        from dangan.documents.services import document_add

        ask(bob, car_dossier, "borrow")  # approved before the original was filed
        item = car_dossier.archive_type.items.first()
        item.original = True
        item.save(update_fields=["original"])
        document_add(
            actor=alice,
            dossier=car_dossier,
            checklist_item=item,
            carrier=Document.Carrier.PAPER_ORIGINAL,
        )
        with pytest.raises(ApplicationError, match="原件不外借") as exc:
            lending.loan_create(actor=alice, dossier=car_dossier, borrower=bob, due=later(days=3))
        assert exc.value.field == "without_originals"  # the whole bag: only without them
        original = Document.objects.get(dossier=car_dossier, checklist_item=item)
        with pytest.raises(ApplicationError, match="原始资料不外借") as exc:
            ask(bob, car_dossier, "borrow", document_ids=[original.pk])
        assert exc.value.field == "documents"
        assert ask(bob, car_dossier, "view").status == "approved"  # may still be viewed
        car_dossier.refresh_from_db()
        assert car_dossier.status == "filed"
        assert Loan.objects.count() == 0
