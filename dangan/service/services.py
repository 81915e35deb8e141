"""Service records: one function per business action (STYLE 1). Each checks its actor
through the policy layer, writes in one transaction and records the audit entry there."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives import numbering
from dangan.archives.models import ChecklistItem, Dossier
from dangan.audit.services import audit_record, refusals_audited
from dangan.circulation.services import notify
from dangan.core.errors import ApplicationError, InvalidTransition
from dangan.customers.models import Customer
from dangan.documents.models import Document
from dangan.intake.calendar import Calendar
from dangan.service import selectors
from dangan.service.models import (
    Contact,
    Notice,
    NoticeReceipt,
    Stay,
    Ticket,
    TicketCategory,
    TicketEvent,
    Transaction,
)

TICKET_NUMBER_RULE = "GD-{year}-{seq:5}"
NOTICE_NUMBER_RULE = "TZ-{year}-{seq:4}"
# The fields of a dossier that name the vehicle or membership a ticket is about (a unit is
# written from building, entrance and unit: 3号楼 1-1203).
SUBJECT_FIELDS = ("room", "vin", "plate_no", "member_number")


def _customer(actor: User, customer_id: Any) -> Customer:
    """A customer in the actor's scope on whose file the actor may record service."""
    customer = policy.access_customer(actor, customer_id)
    policy.require(actor, perms.SERVICE_RECORD)
    return customer


def _not_in_future(value: datetime.date, field: str) -> None:
    if value > timezone.localdate():
        raise ApplicationError(_("日期不能晚于今天"), field=field)


def ticket_deadline(category: TicketCategory, start: datetime.date) -> datetime.date:
    """The category's time limit in working days from the day the ticket is received."""
    return Calendar().add_working_days(start, category.deadline_days)


def subject_of(dossier: Dossier | None) -> str:
    if dossier is None:
        return ""
    fields = dossier.fields or {}
    unit = str(fields.get("unit") or "")
    if unit and fields.get("entrance"):
        unit = f"{fields['entrance']}-{unit}"
    parts = [str(fields.get("building") or ""), unit]
    parts += [str(fields[key]) for key in SUBJECT_FIELDS if fields.get(key)]
    return " ".join(part for part in parts if part)[:100]


@refusals_audited("create", "customer_id")
@transaction.atomic
def ticket_create(
    *,
    actor: User,
    customer_id: Any,
    category: str,
    description: str,
    source: str = Ticket.Source.PHONE,
    dossier_id: Any = None,
    handler: User | None = None,
    contact_name: str = "",
    contact_phone: str = "",
) -> Ticket:
    """Receive (受理) a complaint or a repair on a customer, and on one of their dossiers
    (the unit or the vehicle) where given."""
    customer = _customer(actor, customer_id)
    kind = TicketCategory.objects.filter(code=category, is_active=True).first()
    if kind is None:
        raise ApplicationError(_("工单类别无效"), field="category")
    if source not in Ticket.Source.values:
        raise ApplicationError(_("来源无效"), field="source")
    description = description.strip()
    if not description:
        raise ApplicationError(_("请填写投诉或报修内容"), field="description")
    dossier = None
    if dossier_id not in (None, ""):
        dossier = policy.access_dossier(actor, dossier_id)
        if dossier.customer_id != customer.pk:
            raise ApplicationError(_("该档案不属于此客户"), field="dossier")
    if handler is not None and not _may_handle(handler, customer):
        raise ApplicationError(_("处理人无权查看该客户的服务记录"), field="handler")
    today = timezone.localdate()
    ticket = Ticket(
        number=numbering.allocate(
            TICKET_NUMBER_RULE, numbering.NumberContext(code="GD", date=today)
        ),
        customer=customer,
        dossier=dossier,
        subject=subject_of(dossier),
        category=kind,
        source=source,
        description=description[:5000],
        contact_name=contact_name.strip()[:64],
        contact_phone=contact_phone.strip()[:32],
        handler=handler,
        department_id=customer.department_id,
        deadline=ticket_deadline(kind, today),
        created_by=actor,
    )
    ticket.save(force_insert=True)
    TicketEvent.objects.create(ticket=ticket, action="create", to_status=ticket.status, actor=actor)
    audit_record(
        actor=actor,
        action="create",
        obj=ticket,
        detail={"customer": customer.pk, "category": kind.code, "deadline": str(ticket.deadline)},
    )
    if handler is not None and handler.pk != actor.pk:
        _tell_handler(ticket, handler)
    return ticket


def _may_handle(user: User, customer: Customer) -> bool:
    return (
        user.is_active
        and policy.has_perm(user, perms.SERVICE_RECORD)
        and policy.customers_for(user).filter(pk=customer.pk).exists()
    )


def _tell_handler(ticket: Ticket, handler: User) -> None:
    notify(
        user=handler,
        text=gettext("工单 %(number)s 交由您处理,期限 %(deadline)s")
        % {"number": ticket.number, "deadline": ticket.deadline.isoformat()},
        link=reverse("service:ticket", kwargs={"pk": ticket.pk}),
    )


def _lock_ticket(actor: User, ticket_id: Any) -> Ticket:
    ticket = policy.access_service_record(actor, Ticket, ticket_id, action=perms.SERVICE_RECORD)
    return Ticket.objects.select_for_update().select_related("category").get(pk=ticket.pk)


@refusals_audited("assign", "ticket_id")
@transaction.atomic
def ticket_assign(*, actor: User, ticket_id: Any, handler: User) -> Ticket:
    ticket = _lock_ticket(actor, ticket_id)
    if not ticket.is_open:
        raise InvalidTransition(_("工单已处理完毕,不能再指派"), field="handler")
    if not _may_handle(handler, ticket.customer):
        raise ApplicationError(_("处理人无权查看该客户的服务记录"), field="handler")
    ticket.handler = handler
    ticket.save(update_fields=["handler"])
    TicketEvent.objects.create(
        ticket=ticket,
        action="assign",
        from_status=ticket.status,
        to_status=ticket.status,
        note=str(handler),
        actor=actor,
    )
    audit_record(actor=actor, action="assign", obj=ticket, detail={"handler": handler.pk})
    if handler.pk != actor.pk:
        _tell_handler(ticket, handler)
    return ticket


def _allowed(ticket: Ticket) -> list[str]:
    return sorted(Ticket.TRANSITIONS.get(ticket.status, frozenset()))


def allowed_moves(ticket: Ticket) -> list[str]:
    """The `to` values a transition of this ticket may ask for now."""
    return _allowed(ticket)


@refusals_audited("transition", "ticket_id")
@transaction.atomic
def ticket_transition(
    *,
    actor: User,
    ticket_id: Any,
    to: str,
    note: str = "",
    outcome: str = "",
    satisfaction: int | None = None,
) -> Ticket:
    """Move a ticket along its table: 受理 → 处理中 → 已处理 → 已回访 → 关闭, or reopen.

    已处理 needs the outcome; 已回访 needs the satisfaction (1–5); a category that
    requires a return visit cannot close without one."""
    ticket = _lock_ticket(actor, ticket_id)
    allowed = _allowed(ticket)
    if to not in allowed:
        names = "、".join(_move_label(code) for code in allowed) or gettext("无")
        raise InvalidTransition(
            _("工单当前为「%(status)s」,不能转为「%(to)s」;可转为:%(allowed)s")
            % {"status": ticket.get_status_display(), "to": _move_label(to), "allowed": names},
            field="to",
        )
    note = note.strip()[:2000]
    now = timezone.now()
    before = ticket.status
    changed = ["status"]
    if to == Ticket.REOPEN:
        if not note:
            raise ApplicationError(_("重开工单须说明原因"), field="note")
        ticket.status = Ticket.Status.IN_PROGRESS
        ticket.reopened += 1
        ticket.resolved_at = ticket.closed_at = None
        changed += ["reopened", "resolved_at", "closed_at"]
    elif to == Ticket.Status.RESOLVED:
        outcome = outcome.strip() or note
        if not outcome:
            raise ApplicationError(_("请填写处理结果"), field="outcome")
        ticket.outcome = outcome[:5000]
        ticket.resolved_at = now
        changed += ["outcome", "resolved_at"]
    elif to == Ticket.Status.VISITED:
        if satisfaction is None or satisfaction not in dict(Ticket.SATISFACTION):
            raise ApplicationError(_("满意度应为 1–5(5 为非常满意)"), field="satisfaction")
        ticket.satisfaction = satisfaction
        ticket.visit_note = note
        ticket.visited_at = now
        changed += ["satisfaction", "visit_note", "visited_at"]
    elif to == Ticket.Status.CLOSED:
        if ticket.category.visit_required and ticket.visited_at is None:
            raise ApplicationError(
                _("「%(category)s」须回访客户后才能关闭") % {"category": ticket.category.name},
                field="to",
            )
        ticket.closed_at = now
        changed.append("closed_at")
    if to != Ticket.REOPEN:
        ticket.status = to
    ticket.save(update_fields=changed)
    TicketEvent.objects.create(
        ticket=ticket,
        action=to,
        from_status=before,
        to_status=ticket.status,
        note=note,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="transition",
        obj=ticket,
        detail={"from": before, "to": to, "satisfaction": satisfaction},
    )
    return ticket


def _move_label(code: str) -> str:
    if code == Ticket.REOPEN:
        return gettext("重开")
    return str(dict(Ticket.Status.choices).get(code, code))


@refusals_audited("attach", "ticket_id")
@transaction.atomic
def ticket_attach(
    *,
    actor: User,
    ticket_id: Any,
    checklist_item: ChecklistItem | None,
    title: str,
    file_name: str,
    file_chunks: Iterable[bytes],
) -> Document:
    """File a photo or a signed form of the ticket in its dossier (so the dossier's
    checklist item it belongs to counts it) and list it on the ticket."""
    from dangan.documents.services import document_add

    ticket = _lock_ticket(actor, ticket_id)
    if ticket.dossier is None:
        raise ApplicationError(
            _("该工单未关联档案,附件无处归档;请先在受理时选择档案"), field="file"
        )
    document = document_add(
        actor=actor,
        dossier=ticket.dossier,
        checklist_item=checklist_item,
        title=title or gettext("工单 %(number)s 附件") % {"number": ticket.number},
        carrier=Document.Carrier.ELECTRONIC,
        file_name=file_name,
        file_chunks=file_chunks,
    )
    ticket.documents.add(document)
    audit_record(actor=actor, action="attach", obj=ticket, detail={"document": document.pk})
    return document


@refusals_audited("create", "customer_id")
@transaction.atomic
def contact_create(
    *,
    actor: User,
    customer_id: Any,
    kind: str,
    date: datetime.date,
    summary: str,
    people: str = "",
    follow_up: datetime.date | None = None,
) -> Contact:
    """Log a visit, call, letter, fax or message; a follow-up date becomes a reminder."""
    customer = _customer(actor, customer_id)
    if kind not in Contact.Kind.values:
        raise ApplicationError(_("联系方式无效"), field="kind")
    _not_in_future(date, "date")
    if follow_up is not None and follow_up < timezone.localdate():
        raise ApplicationError(_("跟进日期不能早于今天"), field="follow_up")
    summary = summary.strip()
    if not summary:
        raise ApplicationError(_("请填写内容摘要"), field="summary")
    contact = Contact.objects.create(
        customer=customer,
        kind=kind,
        date=date,
        people=people.strip()[:200],
        summary=summary[:5000],
        follow_up=follow_up,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="create",
        obj=contact,
        detail={"customer": customer.pk, "kind": kind, "follow_up": str(follow_up or "")},
    )
    return contact


@refusals_audited("follow_up", "contact_id")
@transaction.atomic
def contact_follow_up_done(*, actor: User, contact_id: Any, note: str = "") -> Contact:
    contact = policy.access_service_record(actor, Contact, contact_id, action=perms.SERVICE_RECORD)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.follow_up is None:
        raise ApplicationError(_("该记录没有跟进日期"), field="follow_up")
    if contact.follow_up_done_at is not None:
        raise InvalidTransition(_("该跟进已完成"), field="follow_up")
    contact.follow_up_done_at = timezone.now()
    contact.follow_up_note = note.strip()[:500]
    contact.save(update_fields=["follow_up_done_at", "follow_up_note"])
    audit_record(
        actor=actor, action="follow_up", obj=contact, detail={"note": contact.follow_up_note}
    )
    return contact


def _money(value: Any, field: str, *, allow_none: bool = True) -> Decimal | None:
    if value in (None, ""):
        if allow_none:
            return None
        raise ApplicationError(_("请填写金额"), field=field)
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise ApplicationError(_("金额格式不正确"), field=field) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ApplicationError(_("金额应为不小于 0 的数"), field=field)
    return amount.quantize(Decimal("0.01"))


@refusals_audited("create", "customer_id")
@transaction.atomic
def transaction_create(
    *,
    actor: User,
    customer_id: Any,
    kind: str,
    date: datetime.date,
    amount: Any = None,
    method: str = "",
    contract_number: str = "",
    reason_lost: str = "",
    note: str = "",
) -> Transaction:
    customer = _customer(actor, customer_id)
    if kind not in Transaction.Kind.values:
        raise ApplicationError(_("交易类型无效"), field="kind")
    if method and method not in Transaction.Method.values:
        raise ApplicationError(_("付款方式无效"), field="method")
    _not_in_future(date, "date")
    value = _money(amount, "amount", allow_none=kind == Transaction.Kind.LOST)
    if kind == Transaction.Kind.LOST and not reason_lost.strip():
        raise ApplicationError(_("请填写未成交原因"), field="reason_lost")
    record = Transaction.objects.create(
        customer=customer,
        kind=kind,
        date=date,
        amount=value,
        method=method,
        contract_number=contract_number.strip()[:64],
        reason_lost=reason_lost.strip()[:200],
        note=note.strip()[:500],
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="create",
        obj=record,
        detail={"customer": customer.pk, "kind": kind, "amount": str(value or "")},
    )
    return record


@refusals_audited("create", "customer_id")
@transaction.atomic
def stay_create(
    *,
    actor: User,
    customer_id: Any,
    arrival: datetime.date,
    departure: datetime.date,
    room: str = "",
    spend: Any = None,
    preferences: str = "",
) -> Stay:
    customer = _customer(actor, customer_id)
    _not_in_future(arrival, "arrival")
    if departure < arrival:
        raise ApplicationError(_("离店日期不能早于入住日期"), field="departure")
    stay = Stay.objects.create(
        customer=customer,
        arrival=arrival,
        departure=departure,
        room=room.strip()[:40],
        spend=_money(spend, "spend"),
        preferences=preferences.strip()[:2000],
        created_by=actor,
    )
    audit_record(actor=actor, action="create", obj=stay, detail={"customer": customer.pk})
    return stay


@refusals_audited("create", "direction")
@transaction.atomic
def notice_send(
    *, actor: User, direction: str, title: str, body: str, recipients: Sequence[User]
) -> Notice:
    """Send a notice down or a report up to named people, who each acknowledge it."""
    policy.require(actor, perms.NOTICE_SEND)
    if direction not in Notice.Direction.values:
        raise ApplicationError(_("方向无效"), field="direction")
    title, body = title.strip(), body.strip()
    if not title:
        raise ApplicationError(_("请填写标题"), field="title")
    if not body:
        raise ApplicationError(_("请填写内容"), field="body")
    people = {user.pk: user for user in recipients if user.is_active and user.pk != actor.pk}
    if not people:
        raise ApplicationError(_("请选择至少一位接收人"), field="recipients")
    today = timezone.localdate()
    notice = Notice.objects.create(
        number=numbering.allocate(
            NOTICE_NUMBER_RULE, numbering.NumberContext(code="TZ", date=today)
        ),
        direction=direction,
        title=title[:200],
        body=body[:20000],
        sender=actor,
    )
    NoticeReceipt.objects.bulk_create(NoticeReceipt(notice=notice, user=u) for u in people.values())
    audit_record(actor=actor, action="create", obj=notice, detail={"recipients": sorted(people)})
    link = reverse("service:notice", kwargs={"pk": notice.pk})
    for user in people.values():
        notify(
            user=user,
            text=gettext("%(sender)s 发来「%(title)s」,请阅读并签收")
            % {"sender": actor, "title": notice.title},
            link=link,
        )
    return notice


@refusals_audited("acknowledge", "notice_id")
@transaction.atomic
def notice_acknowledge(*, actor: User, notice_id: Any) -> NoticeReceipt:
    notice = selectors.access_notice(actor, notice_id)
    receipt = NoticeReceipt.objects.select_for_update().filter(notice=notice, user=actor).first()
    if receipt is None:
        raise ApplicationError(_("您不是该通知的接收人"), field="notice")
    if receipt.acknowledged_at is not None:
        raise InvalidTransition(_("您已签收过该通知"), field="notice")
    receipt.acknowledged_at = timezone.now()
    receipt.save(update_fields=["acknowledged_at"])
    audit_record(actor=actor, action="acknowledge", obj=notice)
    return receipt


def tickets_overdue_notify(*, today: datetime.date | None = None) -> int:
    """Tell the handler and the department's managers of each open ticket past its
    deadline, at most once a day each (the worker calls it with the reminders)."""
    today = today or timezone.localdate()
    sent = 0
    overdue = Ticket.objects.filter(status__in=Ticket.OPEN, deadline__lt=today).select_related(
        "handler", "customer"
    )
    for ticket in overdue:
        people: dict[int, User] = {}
        if ticket.handler is not None:
            people[ticket.handler.pk] = ticket.handler
        for manager in policy.office_holders("dept_manager", ticket.department_id):
            people[manager.pk] = manager
        for user in people.values():
            made = notify(
                user=user,
                text=gettext("工单 %(number)s(%(customer)s)已超过处理期限 %(deadline)s")
                % {
                    "number": ticket.number,
                    "customer": ticket.customer.name,
                    "deadline": ticket.deadline.isoformat(),
                },
                link=reverse("service:ticket", kwargs={"pk": ticket.pk}),
                key=f"ticket-overdue:{ticket.pk}:{user.pk}:{today.isoformat()}",
            )
            sent += made is not None
    return sent


def follow_ups_notify(*, today: datetime.date | None = None) -> int:
    """Remind whoever logged a contact of its follow-up on the day (and each later day
    until it is marked done)."""
    today = today or timezone.localdate()
    sent = 0
    due = Contact.objects.filter(follow_up__lte=today, follow_up_done_at__isnull=True)
    for contact in due.select_related("created_by", "customer"):
        made = notify(
            user=contact.created_by,
            text=gettext("请跟进客户 %(customer)s:%(summary)s")
            % {"customer": contact.customer.name, "summary": contact.summary[:60]},
            link=reverse("service:contacts") + f"?customer={contact.customer_id}",
            key=f"contact-follow-up:{contact.pk}:{today.isoformat()}",
        )
        sent += made is not None
    return sent
