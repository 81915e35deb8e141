"""Disposal pages: the due list, destruction lists with each role's step, the register."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, Role
from dangan.archives.models import ArchiveType
from dangan.core import xlsx
from dangan.core.errors import NotFound
from dangan.core.http import actor_of, app_errors, attempt, pdf_response
from dangan.disposal import approval, holds, printing, selectors, services
from dangan.disposal.models import DisposalList

SECTION = "disposal"


def _id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 19 else None


def _ids(values: list[str]) -> list[int]:
    return [pk for pk in (_id(v) for v in values) if pk is not None]


@login_required
@app_errors
def due(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.DISPOSAL_PROPOSE)
    if request.method == "POST":
        made = attempt(
            request,
            lambda: services.list_propose(
                actor=actor,
                dossiers=_ids(request.POST.getlist("dossiers")),
                documents=_ids(request.POST.getlist("documents")),
                reason=request.POST.get("reason", ""),
            ),
            _("已编制销毁清单,送鉴定"),
        )
        if made is not None:
            return redirect("disposal:list", pk=made.pk)
    found = _due_filtered(actor, request)
    return render(
        request,
        "disposal/due.html",
        {
            "due": found,
            "can_export": policy.has_perm(actor, perms.DATA_EXPORT),
            "types": ArchiveType.objects.order_by("code"),
            "departments": Department.objects.order_by("name"),
            "section": SECTION,
        },
    )


def _due_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "q": request.GET.get("q", "")[:100],
        "archive_type": _id(request.GET.get("type", "")),
        "department": _id(request.GET.get("department", "")),
    }


def _due_filtered(actor: Any, request: HttpRequest) -> list[selectors.Due]:
    return selectors.due_list(actor, **_due_filters(request))


@login_required
@app_errors
def due_xlsx(request: HttpRequest) -> HttpResponseBase:
    """The due list as filtered on the page, as Excel."""
    actor = actor_of(request)
    policy.require(actor, perms.DISPOSAL_PROPOSE)
    content = printing.due_xlsx(
        actor=actor, due=_due_filtered(actor, request), filters=_due_filters(request)
    )
    return xlsx.response(content, "disposal-due.xlsx")


@login_required
@app_errors
def lists(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not services.may_take_part(actor):
        raise NotFound(_("记录不存在或您无权查看"))
    if request.method == "POST":
        policy.require(actor, perms.DISPOSAL_PROPOSE)
        made = attempt(
            request,
            lambda: services.deletion_request(
                actor=actor,
                customer_id=request.POST.get("customer", ""),
                reason=request.POST.get("reason", ""),
            ),
            _("已编制提前删除清单,送鉴定"),
        )
        if made is not None:
            return redirect("disposal:list", pk=made.pk)
    return render(
        request,
        "disposal/lists.html",
        {
            "lists": DisposalList.objects.select_related("proposer").prefetch_related("items")[
                :200
            ],
            "can_propose": policy.has_perm(actor, perms.DISPOSAL_PROPOSE),
            "can_register": policy.has_perm(actor, perms.DISPOSAL_REGISTER),
            "section": SECTION,
        },
    )


@login_required
@app_errors
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    found = services.access_list(actor, pk)
    items = list(
        found.items.select_related(
            "dossier__archive_type", "dossier__customer", "document"
        ).prefetch_related("appraisals__appraiser")
    )
    parties = services.parties_by_item(actor, items) if found.status == "appraisal" else {}
    return render(
        request,
        "disposal/list.html",
        {
            "found": found,
            "items": items,
            "steps": _named_steps(found),
            "may_appraise": any(
                parties.get(item.pk)
                and {a.party for a in item.appraisals.all()} != set(services.Party.values)
                for item in items
            ),
            "may_approve": approval.may_approve(actor, found),
            "may_restore": found.status == "hold"
            and policy.has_perm(actor, perms.DISPOSAL_PROPOSE),
            "may_destroy": found.status == "hold"
            and policy.has_perm(actor, perms.DISPOSAL_SUPERVISE)
            and actor.pk != found.proposer_id,
            "methods": services.METHODS,
            "section": SECTION,
        },
    )


def _named_steps(found: DisposalList) -> list[Any]:
    """The approval steps, each with `role_name`, the office as people call it (and the
    role it was passed to, if it was)."""
    names = dict(Role.objects.values_list("code", "name"))
    steps = list(found.steps.select_related("approver", "department").order_by("position"))
    for step in steps:
        name = names.get(step.role, step.role)
        if step.department is not None:
            name = f"{name}({step.department})"
        if step.escalated_to:
            name = f"{name} → {names.get(step.escalated_to, step.escalated_to)}"
        step.role_name = name  # type: ignore[attr-defined]
    return steps


def _step(request: HttpRequest, pk: int, call: Any, done: str) -> HttpResponse:
    attempt(request, call, done)
    return redirect("disposal:list", pk=pk)


@login_required
@require_POST
@app_errors
def appraise(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    years = _id(request.POST.get("years", ""))
    items = _ids(request.POST.getlist("items")) or None
    return _step(
        request,
        pk,
        lambda: services.list_appraise(
            actor=actor,
            list_id=pk,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
            items=items,
            years=years,
        ),
        _("鉴定意见已登记"),
    )


@login_required
@require_POST
@app_errors
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    return _step(
        request,
        pk,
        lambda: services.list_restore(
            actor=actor,
            list_id=pk,
            items=_ids(request.POST.getlist("items")),
            reason=request.POST.get("reason", ""),
        ),
        _("已撤回所选条目,不予销毁"),
    )


@login_required
@require_POST
@app_errors
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    if request.POST.get("deny"):
        return _step(
            request,
            pk,
            lambda: services.list_deny(actor=actor, list_id=pk, note=request.POST.get("note", "")),
            _("已驳回"),
        )
    return _step(
        request,
        pk,
        lambda: services.list_approve(actor=actor, list_id=pk, note=request.POST.get("note", "")),
        _("已批准"),
    )


@login_required
@require_POST
@app_errors
def destroy(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    return _step(
        request,
        pk,
        lambda: services.list_destroy(
            actor=actor,
            list_id=pk,
            method=request.POST.get("method", ""),
            note=request.POST.get("note", ""),
        ),
        _("已监销销毁,并登入销毁清册"),
    )


@login_required
@app_errors
def register(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.DISPOSAL_REGISTER)
    return render(
        request,
        "disposal/register.html",
        {
            "entries": selectors.register(q=request.GET.get("q", "")[:100]),
            "can_export": policy.has_perm(actor, perms.DATA_EXPORT),
            "section": SECTION,
        },
    )


@login_required
@app_errors
def register_pdf(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    content = printing.register_pdf(actor=actor, entries=list(selectors.register()))
    return pdf_response(content, "destruction-register.pdf")


@login_required
@app_errors
def register_xlsx(request: HttpRequest) -> HttpResponseBase:
    actor = actor_of(request)
    content = printing.register_xlsx(actor=actor, entries=list(selectors.register()))
    return xlsx.response(content, "destruction-register.xlsx")


@login_required
@require_POST
@app_errors
def customer_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """Place (or, with `release`, lift) the legal hold on a customer's records."""
    actor = actor_of(request)
    customer = policy.access_customer(actor, pk)
    policy.require(actor, perms.DOSSIER_HOLD)
    reason = request.POST.get("reason", "")
    if request.POST.get("release"):
        attempt(
            request,
            lambda: holds.customer_release(actor=actor, customer=customer, reason=reason),
            _("已解除冻结"),
        )
    else:
        attempt(
            request,
            lambda: holds.customer_hold(actor=actor, customer=customer, reason=reason),
            _("已冻结该客户的全部档案"),
        )
    return redirect("customers:detail", pk=customer.pk)
