"""Service record pages: tickets from the call to the return visit, the contact log,
transactions, stays, notices and the month's counts. Thin: form → access → service."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Role, User
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import actor_of, add_form_error, app_errors, attempt
from dangan.service import exports, selectors, services
from dangan.service.forms import (
    AttachForm,
    ContactForm,
    NoticeForm,
    StayForm,
    TicketForm,
    TransactionForm,
    TransitionForm,
)
from dangan.service.models import Contact, Ticket, TicketCategory

SECTION = "service"


def _customer_param(request: HttpRequest) -> int | None:
    value = request.GET.get("customer", "")
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 19 else None


def _handlers(actor: User, customer: Any) -> Any:
    """Who may be named to handle a ticket on this customer: those who record service and
    see the customer (the service checks it again)."""
    roles = [role.pk for role in Role.objects.all() if perms.SERVICE_RECORD in role.permissions]
    candidates = User.objects.filter(is_active=True, roles__in=roles).distinct()
    # Their roles in one more statement, not a scope query per candidate.
    candidates = candidates.prefetch_related("roles")
    able = [u.pk for u in candidates if policy.sees_customer(u, customer)]
    return User.objects.filter(pk__in=able).order_by("username")


@login_required
@app_errors
def ticket_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.SERVICE_VIEW)
    status = request.GET.get("status", "open")
    category = request.GET.get("category", "")
    customer = _customer_param(request)
    found = selectors.ticket_list(
        actor,
        customer=customer,
        status=status if status in [*Ticket.Status.values, "open"] else "",
        category=category,
        overdue=request.GET.get("overdue") == "1",
        q=request.GET.get("q", "")[:100],
    )
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "service/tickets.html",
        {
            "page": page,
            "status": status,
            "category": category,
            "statuses": Ticket.Status.choices,
            "categories": TicketCategory.objects.filter(is_active=True),
            "today": timezone.localdate(),
            "can_record": policy.has_perm(actor, perms.SERVICE_RECORD),
            "can_export": policy.has_perm(actor, perms.DATA_EXPORT),
            "section": SECTION,
        },
    )


@login_required
@app_errors
def ticket_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    customer = policy.access_customer(
        actor, request.GET.get("customer") or request.POST.get("customer")
    )
    policy.require(actor, perms.SERVICE_RECORD)
    dossiers = policy.dossiers_for(actor).filter(customer=customer).select_related("archive_type")
    form = TicketForm(request.POST or None, dossiers=dossiers, handlers=_handlers(actor, customer))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                actor=actor,
                customer_id=customer.pk,
                category=data["category"].code,
                source=data["source"],
                description=data["description"],
                dossier_id=data["dossier"],
                handler=data["handler"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
            )
        except NotFound:
            raise
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(
                request,
                _("已受理工单 %(number)s,处理期限 %(deadline)s")
                % {"number": ticket.number, "deadline": ticket.deadline.isoformat()},
            )
            return redirect("service:ticket", pk=ticket.pk)
    return render(
        request,
        "service/ticket_new.html",
        {"form": form, "customer": customer, "section": SECTION},
    )


@login_required
@app_errors
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    ticket = policy.access_service_record(actor, Ticket, pk)
    can_record = policy.has_perm(actor, perms.SERVICE_RECORD)
    return render(
        request,
        "service/ticket_detail.html",
        {
            "ticket": ticket,
            "events": ticket.events.select_related("actor"),
            "documents": ticket.documents.all(),
            "contact_phone": policy.shown_mobile(actor, ticket.contact_phone),
            "moves": services.allowed_moves(ticket) if can_record else [],
            "satisfaction": Ticket.SATISFACTION,
            "handlers": _handlers(actor, ticket.customer) if can_record and ticket.is_open else [],
            "can_record": can_record,
            "overdue": ticket.is_open and ticket.deadline < timezone.localdate(),
            "section": SECTION,
        },
    )


@login_required
@require_POST
@app_errors
def ticket_transition(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查填写的内容(满意度为 1–5)"))
        return redirect("service:ticket", pk=pk)
    data = form.cleaned_data
    attempt(
        request,
        lambda: services.ticket_transition(
            actor=actor,
            ticket_id=pk,
            to=data["to"],
            note=data["note"],
            outcome=data["outcome"],
            satisfaction=data["satisfaction"],
        ),
        _("工单状态已更新"),
    )
    return redirect("service:ticket", pk=pk)


@login_required
@require_POST
@app_errors
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    handler = User.objects.filter(pk=request.POST.get("handler") or 0, is_active=True).first()
    if handler is None:
        messages.error(request, _("请选择处理人"))
        return redirect("service:ticket", pk=pk)
    attempt(
        request,
        lambda: services.ticket_assign(actor=actor, ticket_id=pk, handler=handler),
        _("已指派处理人"),
    )
    return redirect("service:ticket", pk=pk)


@login_required
@require_POST
@app_errors
def ticket_attach(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    form = AttachForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件"))
        return redirect("service:ticket", pk=pk)
    upload = form.cleaned_data["file"]
    attempt(
        request,
        lambda: services.ticket_attach(
            actor=actor,
            ticket_id=pk,
            checklist_item=None,
            title=form.cleaned_data["title"],
            file_name=upload.name or "",
            file_chunks=upload.chunks(),
        ),
        _("附件已上传并归入档案"),
    )
    return redirect("service:ticket", pk=pk)


def _record_page(
    request: HttpRequest, *, kind: str, form_class: Any, create: Any, found: Any, done: str
) -> HttpResponse:
    """The list of one kind of record (contacts, transactions, stays), with a form to add
    one when the list is of one customer the actor may record on."""
    actor = actor_of(request)
    policy.require(actor, perms.SERVICE_VIEW)
    customer_id = _customer_param(request)
    customer = policy.access_customer(actor, customer_id) if customer_id else None
    can_add = customer is not None and policy.has_perm(actor, perms.SERVICE_RECORD)
    form = form_class(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST":
        if not can_add or customer is None:
            raise NotFound(_("记录不存在或您无权查看"))
        if form.is_valid():
            try:
                create(actor=actor, customer_id=customer.pk, **form.cleaned_data)
            except NotFound:
                raise
            except ApplicationError as exc:
                add_form_error(form, exc)
            else:
                messages.success(request, done)
                return redirect(f"{request.path}?customer={customer.pk}")
    page = Paginator(found(actor, customer_id), 50).get_page(request.GET.get("page"))
    return render(
        request,
        f"service/{kind}.html",
        {
            "page": page,
            "customer": customer,
            "form": form if can_add else None,
            "today": timezone.localdate(),
            "can_record": policy.has_perm(actor, perms.SERVICE_RECORD),
            "can_export": policy.has_perm(actor, perms.DATA_EXPORT),
            "section": SECTION,
        },
    )


@login_required
@app_errors
def contacts(request: HttpRequest) -> HttpResponse:
    pending = request.GET.get("pending") == "1"
    return _record_page(
        request,
        kind="contacts",
        form_class=ContactForm,
        create=services.contact_create,
        found=lambda actor, customer: selectors.contact_list(
            actor, customer=customer, pending=pending
        ),
        done=_("联系记录已保存"),
    )


@login_required
@require_POST
@app_errors
def contact_done(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    contact = policy.access_service_record(actor, Contact, pk)
    attempt(
        request,
        lambda: services.contact_follow_up_done(
            actor=actor, contact_id=pk, note=request.POST.get("note", "")
        ),
        _("已标记跟进完成"),
    )
    return redirect(f"{reverse('service:contacts')}?customer={contact.customer_id}")


@login_required
@app_errors
def transactions(request: HttpRequest) -> HttpResponse:
    return _record_page(
        request,
        kind="transactions",
        form_class=TransactionForm,
        create=services.transaction_create,
        found=lambda actor, customer: selectors.transaction_list(actor, customer=customer),
        done=_("交易记录已保存"),
    )


@login_required
@app_errors
def stays(request: HttpRequest) -> HttpResponse:
    return _record_page(
        request,
        kind="stays",
        form_class=StayForm,
        create=services.stay_create,
        found=lambda actor, customer: selectors.stay_list(actor, customer=customer),
        done=_("入住记录已保存"),
    )


@login_required
@app_errors
def customer_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The service records on a customer's page (loaded into it by htmx)."""
    actor = actor_of(request)
    customer = policy.access_customer(actor, pk)
    if not policy.has_perm(actor, perms.SERVICE_VIEW):
        return HttpResponse("")
    return render(
        request,
        "service/customer_panel.html",
        {
            "customer": customer,
            "tickets": selectors.ticket_list(actor, customer=customer.pk)[:10],
            "contacts": selectors.contact_list(actor, customer=customer.pk)[:10],
            "transactions": selectors.transaction_list(actor, customer=customer.pk)[:10],
            "stays": selectors.stay_list(actor, customer=customer.pk)[:5],
            "can_record": policy.has_perm(actor, perms.SERVICE_RECORD),
            "today": timezone.localdate(),
        },
    )


@login_required
@app_errors
def notices(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    found = selectors.notices_for(actor).select_related("sender").prefetch_related("receipts")
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "service/notices.html",
        {
            "page": page,
            "can_send": policy.has_perm(actor, perms.NOTICE_SEND),
            "section": SECTION,
        },
    )


@login_required
@app_errors
def notice_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.NOTICE_SEND)
    form = NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.notice_send(
                actor=actor,
                direction=data["direction"],
                title=data["title"],
                body=data["body"],
                recipients=list(data["recipients"]),
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(request, _("已发送 %(number)s") % {"number": notice.number})
            return redirect("service:notice", pk=notice.pk)
    return render(request, "service/notice_new.html", {"form": form, "section": SECTION})


@login_required
@app_errors
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    notice = selectors.access_notice(actor, pk)
    receipts = list(notice.receipts.select_related("user"))
    mine = next((r for r in receipts if r.user_id == actor.pk), None)
    return render(
        request,
        "service/notice_detail.html",
        {
            "notice": notice,
            "receipts": receipts if notice.sender_id == actor.pk else [],
            "mine": mine,
            "section": SECTION,
        },
    )


@login_required
@require_POST
@app_errors
def notice_ack(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    attempt(request, lambda: services.notice_acknowledge(actor=actor, notice_id=pk), _("已签收"))
    return redirect("service:notice", pk=pk)


@login_required
@app_errors
def stats(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.SERVICE_VIEW)
    month = selectors.parse_month(request.GET.get("month", "")) or timezone.localdate()
    numbers = selectors.month_stats(actor, month)
    previous = (month.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    following = (month.replace(day=28) + datetime.timedelta(days=5)).strftime("%Y-%m")
    return render(
        request,
        "service/stats.html",
        {
            "stats": numbers,
            "month": month.strftime("%Y-%m"),
            "previous": previous,
            "following": following,
            "section": SECTION,
        },
    )


@login_required
@app_errors
def export(request: HttpRequest, kind: str) -> HttpResponse:
    actor = actor_of(request)
    content, filename = exports.service_xlsx(
        actor=actor, kind=kind, customer=_customer_param(request)
    )
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
