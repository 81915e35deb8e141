"""The inventory pages: the rounds, a round's scanning page (a focused field for a USB
scanner, the phone's camera where the browser can read codes) and its results."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.errors import NotFound
from dangan.core.http import actor_of, app_errors, attempt
from dangan.locations import selectors as place_selectors
from dangan.locations.models import Location
from dangan.paper import checks, inventory
from dangan.paper.models import CheckKind, CheckRecord, Discrepancy, InventoryRound


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
        "tasks": Discrepancy.objects.filter(round=found).select_related("dossier", "resolved_by"),
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


@login_required
@require_POST
@app_errors
def task_resolve(request: HttpRequest, pk: int, task: int) -> HttpResponse:
    actor = actor_of(request)
    found = inventory.access_round(actor, pk)
    attempt(
        request,
        lambda: inventory.discrepancy_resolve(
            actor=actor,
            inventory=found,
            task_id=task,
            resolution=request.POST.get("resolution", ""),
        ),
        _("差异已处理"),
    )
    return redirect(reverse("paper:inventory", kwargs={"pk": found.pk}) + "#tasks")


@login_required
@app_errors
def checks_page(request: HttpRequest) -> HttpResponse:
    """Periodic checks: the plans with what is due, a form to record a check, the record."""
    actor = actor_of(request)
    plans = [checks.plan_out(plan) for plan in checks.plans_for(actor)]
    context = {
        "plans": plans,
        "records": [(r, checks.scope_text(r.location)) for r in checks.records_for(actor)[:100]],
        "first_due": next((p["id"] for p in plans if p["due"]), None),
        "kinds": CheckKind.choices,
        "outcomes": CheckRecord.Outcome.choices,
        "places": place_selectors.tree(),
        "today": timezone.localdate(),
        "section": "locations",
    }
    return render(request, "paper/checks.html", context)


@login_required
@require_POST
@app_errors
def check_record(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.DOSSIER_LOCATE)
    post = request.POST
    attempt(
        request,
        lambda: checks.check_record(
            actor=actor,
            plan=post.get("plan") or None,
            kind=post.get("kind"),
            location=post.get("location") or None,
            checked_on=post.get("checked_on") or None,
            outcome=post.get("outcome", ""),
            findings=post.get("findings", ""),
            actions=post.get("actions", ""),
        ),
        _("检查已记录"),
    )
    return redirect("paper:checks")


@login_required
@require_POST
@app_errors
def check_plan_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.DOSSIER_LOCATE)
    post = request.POST
    attempt(
        request,
        lambda: checks.plan_create(
            actor=actor,
            kind=post.get("kind"),
            every_days=post.get("every_days"),
            location=post.get("location") or None,
            next_due=post.get("next_due") or None,
            note=post.get("note", ""),
        ),
        _("检查计划已添加"),
    )
    return redirect("paper:checks")


@login_required
@require_POST
@app_errors
def check_plan_update(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    plan = checks.access_plan(actor, pk)
    post = request.POST
    changes: dict[str, Any] = {
        key: post.get(key) for key in ("every_days", "next_due", "note") if key in post
    }
    changes["active"] = post.get("active") == "on"
    attempt(
        request,
        lambda: checks.plan_update(actor=actor, plan=plan, changes=changes),
        _("检查计划已保存"),
    )
    return redirect("paper:checks")


@login_required
@app_errors
def dossiers_print(request: HttpRequest) -> HttpResponse:
    """A form of several dossiers from the dossier list: the ticked ones (`ids`), or with
    `scope=all` every dossier the list's filters find (up to the print limit), in the
    list's order. A refusal goes back to the list with the message."""
    from dangan.archives import selectors as archive_selectors
    from dangan.archives.forms import DossierFilterForm
    from dangan.core.errors import ApplicationError
    from dangan.core.http import pdf_response
    from dangan.paper import printing

    actor = actor_of(request)
    policy.require(actor, perms.DOSSIER_VIEW)
    form = request.GET.get("form", "")
    if request.GET.get("scope") == "all":
        filters = DossierFilterForm(request.GET)
        cleaned = filters.cleaned_data if filters.is_valid() else {}
        found = archive_selectors.dossier_list(actor, filters=cleaned)
        ids: list[Any] = list(found.values_list("pk", flat=True)[: printing.SELECTION_LIMIT + 1])
    else:
        ids = request.GET.getlist("ids")
    try:
        content = printing.dossiers_print(actor=actor, form=form, ids=ids)
    except ApplicationError as exc:
        if isinstance(exc, NotFound):
            raise
        from django.contrib import messages

        messages.error(request, str(exc.message))
        keep = request.GET.copy()
        for key in ("ids", "form", "scope"):
            keep.pop(key, None)
        return redirect(reverse("archives:dossier_list") + (f"?{keep.urlencode()}" if keep else ""))
    return pdf_response(content, f"{form}.pdf")
