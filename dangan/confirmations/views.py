"""The confirmation queue (待我确认): the pieces waiting for the signer's role (or passed on
to it), each with confirm and send back."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.confirmations import services
from dangan.core.display import role_names
from dangan.core.http import actor_of, app_errors, attempt


@login_required
@app_errors
def queue(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    waiting = list(services.waiting_for(actor))
    names = role_names([s.role for s in waiting] + [s.escalated_to for s in waiting])
    for step in waiting:  # the names people know, not the codes
        step.role_name = names.get(step.role, step.role)  # type: ignore[attr-defined]
        step.escalated_name = names.get(step.escalated_to, step.escalated_to)  # type: ignore[attr-defined]
    done = services.done_by(actor)
    for step in done:
        shown = services.status_of(step)
        step.shown_status = shown  # type: ignore[attr-defined]
        step.shown_label = services.STATUS_LABELS[shown]  # type: ignore[attr-defined]
    return render(
        request,
        "confirmations/queue.html",
        {"waiting": waiting, "done": done, "section": "home"},
    )


@login_required
@require_POST
@app_errors
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    note = request.POST.get("note", "")
    if request.POST.get("refuse"):
        attempt(
            request,
            lambda: services.document_refuse(actor=actor, confirmation_id=pk, note=note),
            _("已退回"),
        )
    else:
        attempt(
            request,
            lambda: services.document_confirm(actor=actor, confirmation_id=pk, note=note),
            _("已确认"),
        )
    return redirect("confirmations:queue")
