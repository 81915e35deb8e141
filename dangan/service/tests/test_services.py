from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from conftest import PDF_BYTES, audit_actions
from dangan.audit.models import AuditEntry
from dangan.circulation.models import Notification
from dangan.core.errors import ApplicationError, Forbidden, InvalidTransition, NotFound
from dangan.service import selectors, services
from dangan.service.models import Contact, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def complaint(actor: Any, customer: Any, **kw: Any) -> Ticket:
    return services.ticket_create(
        actor=actor,
        customer_id=customer.pk,
        category=kw.pop("category", "complaint"),
        description=kw.pop("description", "楼上漏水,天花板渗水"),
        **kw,
    )


class TestTicketCreate:
    def test_it_receives_a_complaint_with_a_working_day_deadline(
        self, cs: Any, bobs_customer: Any, property_dossier: Any
    ) -> None:
        ticket = complaint(cs, bobs_customer, dossier_id=property_dossier.pk)
        assert ticket.status == Ticket.Status.RECEIVED
        assert ticket.number.startswith("GD-")
        assert "1203" in ticket.subject
        assert ticket.deadline > TODAY()
        assert ticket.deadline.weekday() < 5
        assert audit_actions(object_type="ticket") == ["create"]
        assert list(ticket.events.values_list("to_status", flat=True)) == ["received"]

    def test_it_refuses_a_customer_the_actor_may_not_see(
        self, dave: Any, bobs_customer: Any
    ) -> None:
        with pytest.raises(NotFound):
            complaint(dave, bobs_customer)
        assert not Ticket.objects.exists()
        denied = AuditEntry.objects.get(action="create", outcome="denied")
        assert denied.object_id == str(bobs_customer.pk)

    def test_it_refuses_a_role_that_may_only_read(self, fay: Any, bobs_customer: Any) -> None:
        with pytest.raises(Forbidden):
            complaint(fay, bobs_customer)
        assert not Ticket.objects.exists()

    def test_it_refuses_an_unknown_category_and_an_empty_description(
        self, cs: Any, bobs_customer: Any
    ) -> None:
        with pytest.raises(ApplicationError) as bad:
            complaint(cs, bobs_customer, category="nonsense")
        assert bad.value.field == "category"
        with pytest.raises(ApplicationError) as empty:
            complaint(cs, bobs_customer, description="  ")
        assert empty.value.field == "description"
        assert not Ticket.objects.exists()

    def test_it_refuses_a_dossier_of_another_customer(
        self, cs: Any, daves_customer: Any, property_dossier: Any
    ) -> None:
        with pytest.raises(ApplicationError) as bad:
            complaint(cs, daves_customer, dossier_id=property_dossier.pk)
        assert bad.value.field == "dossier"


class TestTicketTransition:
    def test_it_takes_a_complaint_from_the_call_to_the_closed_return_visit(
        self, cs: Any, bobs_customer: Any
    ) -> None:
        ticket = complaint(cs, bobs_customer)
        pk = ticket.pk
        services.ticket_transition(actor=cs, ticket_id=pk, to="in_progress", note="已派维修工")
        services.ticket_transition(actor=cs, ticket_id=pk, to="resolved", outcome="已更换水管")
        services.ticket_transition(
            actor=cs, ticket_id=pk, to="visited", satisfaction=5, note="业主满意"
        )
        done = services.ticket_transition(actor=cs, ticket_id=pk, to="closed")
        assert done.status == Ticket.Status.CLOSED
        assert done.satisfaction == 5 and done.outcome == "已更换水管"
        assert done.closed_at is not None
        assert list(
            TicketEvent.objects.filter(ticket=done).values_list("to_status", flat=True)
        ) == [
            "received",
            "in_progress",
            "resolved",
            "visited",
            "closed",
        ]
        assert audit_actions(object_type="ticket") == ["create", *["transition"] * 4]

    def test_a_complaint_cannot_close_without_a_return_visit(
        self, cs: Any, bobs_customer: Any
    ) -> None:
        ticket = complaint(cs, bobs_customer)
        services.ticket_transition(actor=cs, ticket_id=ticket.pk, to="resolved", outcome="已处理")
        with pytest.raises(ApplicationError) as refused:
            services.ticket_transition(actor=cs, ticket_id=ticket.pk, to="closed")
        assert "回访" in str(refused.value.message)
        ticket.refresh_from_db()
        assert ticket.status == Ticket.Status.RESOLVED
        assert AuditEntry.objects.filter(action="transition", outcome="failed").exists()

    def test_a_repair_may_close_without_a_return_visit(self, cs: Any, bobs_customer: Any) -> None:
        ticket = complaint(cs, bobs_customer, category="repair", description="门锁坏了")
        services.ticket_transition(actor=cs, ticket_id=ticket.pk, to="resolved", outcome="已换锁")
        done = services.ticket_transition(actor=cs, ticket_id=ticket.pk, to="closed")
        assert done.status == Ticket.Status.CLOSED

    def test_it_refuses_a_move_the_table_does_not_allow_and_names_the_allowed(
        self, cs: Any, bobs_customer: Any
    ) -> None:
        ticket = complaint(cs, bobs_customer)
        with pytest.raises(InvalidTransition) as refused:
            services.ticket_transition(actor=cs, ticket_id=ticket.pk, to="visited", satisfaction=4)
        assert "处理中" in str(refused.value.message)
        assert AuditEntry.objects.filter(action="transition", outcome="denied").exists()

    @pytest.mark.parametrize("score", [0, 6, None])
    def test_it_refuses_a_satisfaction_outside_the_scale(
        self, cs: Any, bobs_customer: Any, score: int | None
    ) -> None:
        ticket = complaint(cs, bobs_customer)
        services.ticket_transition(actor=cs, ticket_id=ticket.pk, to="resolved", outcome="好了")
        with pytest.raises(ApplicationError) as bad:
            services.ticket_transition(
                actor=cs, ticket_id=ticket.pk, to="visited", satisfaction=score
            )
        assert bad.value.field == "satisfaction"
        ticket.refresh_from_db()
        assert ticket.status == Ticket.Status.RESOLVED and ticket.satisfaction is None

    def test_it_reopens_with_a_reason(self, cs: Any, bobs_customer: Any) -> None:
        ticket = complaint(cs, bobs_customer, category="repair")
        services.ticket_transition(actor=cs, ticket_id=ticket.pk, to="resolved", outcome="修好")
        services.ticket_transition(actor=cs, ticket_id=ticket.pk, to="closed")
        with pytest.raises(ApplicationError):
            services.ticket_transition(actor=cs, ticket_id=ticket.pk, to="reopen")
        again = services.ticket_transition(
            actor=cs, ticket_id=ticket.pk, to="reopen", note="又漏了"
        )
        assert again.status == Ticket.Status.IN_PROGRESS and again.reopened == 1
        assert again.closed_at is None

    def test_the_account_manager_handles_only_their_customers(
        self, cs: Any, bob: Any, dave: Any, bobs_customer: Any
    ) -> None:
        ticket = complaint(cs, bobs_customer)
        services.ticket_transition(actor=bob, ticket_id=ticket.pk, to="in_progress")
        with pytest.raises(NotFound):
            services.ticket_transition(actor=dave, ticket_id=ticket.pk, to="resolved", outcome="x")


class TestAssignAndOverdue:
    def test_overdue_tickets_notify_the_handler_and_the_manager_once_a_day(
        self, cs: Any, bob: Any, carol: Any, bobs_customer: Any
    ) -> None:
        ticket = complaint(cs, bobs_customer, handler=bob)
        assert Notification.objects.filter(user=bob).count() == 1  # the assignment
        later = ticket.deadline + datetime.timedelta(days=1)
        assert services.tickets_overdue_notify(today=later) == 2
        assert services.tickets_overdue_notify(today=later) == 0
        assert Notification.objects.filter(user=carol, text__contains=ticket.number).exists()
        services.ticket_transition(actor=bob, ticket_id=ticket.pk, to="resolved", outcome="ok")
        assert services.tickets_overdue_notify(today=later + datetime.timedelta(days=1)) == 0

    def test_it_refuses_a_handler_who_cannot_see_the_customer(
        self, cs: Any, dave: Any, bobs_customer: Any
    ) -> None:
        ticket = complaint(cs, bobs_customer)
        with pytest.raises(ApplicationError) as bad:
            services.ticket_assign(actor=cs, ticket_id=ticket.pk, handler=dave)
        assert bad.value.field == "handler"


class TestAttach:
    def test_a_ticket_photo_is_filed_in_the_dossier(
        self, cs: Any, bobs_customer: Any, property_dossier: Any
    ) -> None:
        ticket = complaint(cs, bobs_customer, dossier_id=property_dossier.pk)
        document = services.ticket_attach(
            actor=cs,
            ticket_id=ticket.pk,
            checklist_item=None,
            title="现场照片",
            file_name="photo.pdf",
            file_chunks=[PDF_BYTES],
        )
        assert document.dossier_id == property_dossier.pk
        assert list(ticket.documents.all()) == [document]

    def test_without_a_dossier_there_is_nowhere_to_file(self, cs: Any, bobs_customer: Any) -> None:
        ticket = complaint(cs, bobs_customer)
        with pytest.raises(ApplicationError) as bad:
            services.ticket_attach(
                actor=cs,
                ticket_id=ticket.pk,
                checklist_item=None,
                title="x",
                file_name="a.pdf",
                file_chunks=[PDF_BYTES],
            )
        assert bad.value.field == "file"


class TestContacts:
    def test_it_logs_a_call_with_a_follow_up_that_becomes_a_reminder(
        self, bob: Any, bobs_customer: Any
    ) -> None:
        contact = services.contact_create(
            actor=bob,
            customer_id=bobs_customer.pk,
            kind="call",
            date=TODAY(),
            summary="询问车位租赁",
            follow_up=TODAY() + datetime.timedelta(days=2),
        )
        assert audit_actions(object_type="contact") == ["create"]
        assert services.follow_ups_notify(today=TODAY()) == 0
        due = TODAY() + datetime.timedelta(days=2)
        assert services.follow_ups_notify(today=due) == 1
        assert services.follow_ups_notify(today=due) == 0
        services.contact_follow_up_done(actor=bob, contact_id=contact.pk, note="已回电")
        assert services.follow_ups_notify(today=due + datetime.timedelta(days=1)) == 0
        with pytest.raises(InvalidTransition):
            services.contact_follow_up_done(actor=bob, contact_id=contact.pk)

    def test_it_refuses_a_follow_up_in_the_past_and_a_future_date(
        self, bob: Any, bobs_customer: Any
    ) -> None:
        with pytest.raises(ApplicationError) as past:
            services.contact_create(
                actor=bob,
                customer_id=bobs_customer.pk,
                kind="visit",
                date=TODAY(),
                summary="拜访",
                follow_up=TODAY() - datetime.timedelta(days=1),
            )
        assert past.value.field == "follow_up"
        with pytest.raises(ApplicationError) as future:
            services.contact_create(
                actor=bob,
                customer_id=bobs_customer.pk,
                kind="visit",
                date=TODAY() + datetime.timedelta(days=1),
                summary="拜访",
            )
        assert future.value.field == "date"
        assert not Contact.objects.exists()


class TestTransactionsAndStays:
    def test_it_records_a_payment_and_refuses_a_negative_amount(
        self, bob: Any, bobs_customer: Any
    ) -> None:
        record = services.transaction_create(
            actor=bob,
            customer_id=bobs_customer.pk,
            kind="payment",
            date=TODAY(),
            amount="120000.50",
            method="transfer",
            contract_number="HT-2026-001",
        )
        assert str(record.amount) == "120000.50"
        with pytest.raises(ApplicationError) as bad:
            services.transaction_create(
                actor=bob, customer_id=bobs_customer.pk, kind="payment", date=TODAY(), amount="-1"
            )
        assert bad.value.field == "amount"

    def test_a_lost_sale_needs_its_reason(self, bob: Any, bobs_customer: Any) -> None:
        with pytest.raises(ApplicationError) as bad:
            services.transaction_create(
                actor=bob, customer_id=bobs_customer.pk, kind="lost", date=TODAY()
            )
        assert bad.value.field == "reason_lost"

    def test_a_stay_ends_after_it_starts(self, bob: Any, bobs_customer: Any) -> None:
        with pytest.raises(ApplicationError) as bad:
            services.stay_create(
                actor=bob,
                customer_id=bobs_customer.pk,
                arrival=TODAY(),
                departure=TODAY() - datetime.timedelta(days=1),
            )
        assert bad.value.field == "departure"
        stay = services.stay_create(
            actor=bob,
            customer_id=bobs_customer.pk,
            arrival=TODAY() - datetime.timedelta(days=2),
            departure=TODAY(),
            room="1808",
            spend="2680",
            preferences="高楼层、荞麦枕",
        )
        assert stay.room == "1808"


class TestNotices:
    def test_a_notice_goes_to_its_recipients_who_acknowledge_it(
        self, carol: Any, bob: Any, eve: Any
    ) -> None:
        notice = services.notice_send(
            actor=carol, direction="down", title="停水通知", body="周五停水", recipients=[bob, eve]
        )
        assert Notification.objects.filter(user=bob).count() == 1
        services.notice_acknowledge(actor=bob, notice_id=notice.pk)
        with pytest.raises(InvalidTransition):
            services.notice_acknowledge(actor=bob, notice_id=notice.pk)
        assert notice.receipts.filter(acknowledged_at__isnull=False).count() == 1
        assert audit_actions(object_type="notice", outcome="success") == ["create", "acknowledge"]
        assert audit_actions(object_type="notice", outcome="denied") == ["acknowledge"]

    def test_only_sender_and_recipients_see_a_notice(self, carol: Any, bob: Any, dave: Any) -> None:
        notice = services.notice_send(
            actor=carol, direction="down", title="t", body="b", recipients=[bob]
        )
        with pytest.raises(NotFound):
            services.notice_acknowledge(actor=dave, notice_id=notice.pk)

    def test_sending_needs_the_permission(self, bob: Any, carol: Any) -> None:
        with pytest.raises(Forbidden):
            services.notice_send(actor=bob, direction="up", title="t", body="b", recipients=[carol])


class TestStats:
    def test_the_month_counts_only_what_the_viewer_may_see(
        self, cs: Any, bob: Any, dave: Any, bobs_customer: Any, daves_customer: Any
    ) -> None:
        first = complaint(cs, bobs_customer)
        complaint(cs, daves_customer, category="repair")
        services.ticket_transition(actor=cs, ticket_id=first.pk, to="resolved", outcome="好")
        services.ticket_transition(actor=cs, ticket_id=first.pk, to="visited", satisfaction=4)
        everything = selectors.month_stats(cs, TODAY())
        assert everything.total == 2
        assert {row["category"]: row["count"] for row in everything.by_category} == {
            "complaint": 1,
            "repair": 1,
        }
        assert everything.by_satisfaction == [{"satisfaction": 4, "label": "满意", "count": 1}]
        mine = selectors.month_stats(bob, TODAY())
        assert mine.total == 1
        assert selectors.month_stats(dave, TODAY()).total == 1
