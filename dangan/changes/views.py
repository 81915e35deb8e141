"""Change requests for their approvers (修改审批) and the history sections of the record
pages (the pages include changes/history.html)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.changes import selectors, services
from dangan.core.http import actor_of, app_errors, attempt


@login_required
@app_errors
def change_request_list(request: HttpRequest) -> HttpResponse:
    """Those waiting for the reader's signature, and the reader's own requests."""
    actor = actor_of(request)
    waiting = [(cr, selectors.request_rows(actor, cr)) for cr in selectors.waiting_for(actor)]
    mine = [
        (cr, selectors.request_rows(actor, cr))
        for cr in selectors.asked_by(actor).order_by("-created_at")[:50]
    ]
    return render(
        request,
        "changes/list.html",
        {"waiting": waiting, "mine": mine, "section": "changes"},
    )


@login_required
@require_POST
@app_errors
def change_request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.change_request_approve, _("已批准"))


@login_required
@require_POST
@app_errors
def change_request_deny(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.change_request_deny, _("已驳回"))


def _decide(request: HttpRequest, pk: int, decide: Callable[..., Any], done: str) -> HttpResponse:
    """The approver's step on a change request (approve or deny, with a note)."""
    actor = actor_of(request)
    change_request = selectors.access_change_request(actor, pk)
    attempt(
        request,
        lambda: decide(
            actor=actor, change_request=change_request, note=request.POST.get("note", "")
        ),
        done,
    )
    return redirect("changes:list")
