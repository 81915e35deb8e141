"""The inventory pages: the rounds, a round's scanning page (a focused field for a USB
scanner, the phone's camera where the browser can read codes) and its results."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.http import actor_of, app_errors, attempt
from dangan.locations import selectors as place_selectors
from dangan.locations.models import Location
from dangan.paper import inventory
from dangan.paper.models import Discrepancy, InventoryRound


@login_required
@app_errors
def inventory_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.DOSSIER_LOCATE)
    context = {
        "rounds": InventoryRound.objects.select_related("started_by", "closed_by")[:100],
        "places": place_selectors.tree(),
        "open_tasks": Discrepancy.objects.filter(status="open")
        .select_related("round", "dossier")
        .order_by("-id")[:200],
        "section": "locations",
    }
    return render(request, "paper/inventory_list.html", context)


@login_required
@require_POST
@app_errors
def inventory_start(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.DOSSIER_LOCATE)
    text = str(request.POST.get("location") or "").strip()
    location = Location.objects.filter(pk=int(text)).first() if text.isdigit() else None
    found = attempt(
        request,
        lambda: inventory.round_start(
            actor=actor, location=location, note=str(request.POST.get("note") or "")
        ),
    )
    if found is None:
        return redirect("paper:inventory_list")
    return redirect("paper:inventory", found.pk)


@login_required
@app_errors
def inventory_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    found = inventory.access_round(actor, pk)
    results = inventory.round_results(found)
    context = {
        "round": found,
        "results": results,
        "counts": {key: len(items) for key, items in results.items()},
        "tasks": Discrepancy.objects.filter(round=found).select_related("dossier"),
        "section": "locations",
    }
    return render(request, "paper/inventory_detail.html", context)


@login_required
@require_POST
@app_errors
def inventory_close(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    found = inventory.access_round(actor, pk)
    attempt(
        request,
        lambda: inventory.round_close(actor=actor, inventory=found),
        _("盘点已结束,报告已生成"),
    )
    return redirect("paper:inventory", found.pk)


@login_required
@require_POST
@app_errors
def inventory_correct(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    found = inventory.access_round(actor, pk)
    attempt(
        request,
        lambda: inventory.round_correct(
            actor=actor, inventory=found, dossier_id=request.POST.get("dossier")
        ),
        _("位置已更正"),
    )
    return redirect("paper:inventory", found.pk)
