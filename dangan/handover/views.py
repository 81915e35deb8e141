"""Hand-over pages: the list, a new batch, a batch with its verification table and sign
buttons, the clerk's intake desk (scan an archive number, tick, sign), the printed
移交单 and an employee's departure. Thin: form → access → service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.archives.models import Dossier
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import actor_of, add_form_error, app_errors, attempt, is_htmx, pdf_response
from dangan.documents.models import Document
from dangan.handover import selectors, services
from dangan.handover.forms import DepartureForm, HandoverForm
from dangan.handover.models import Handover, HandoverItem, HandoverLine

BOXES = ("open", "sent", "received", "")


@login_required
@app_errors
def handover_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require_any(actor, perms.HANDOVER_SEND, perms.HANDOVER_RECEIVE, perms.HANDOVER_MANAGE)
    box = request.GET.get("box", "open")
    box = box if box in BOXES else "open"
    found = selectors.handover_list(actor, box=box).prefetch_related("items")
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "handover/list.html",
        {
            "page": page,
            "box": box,
            "can_send": policy.has_perm(actor, perms.HANDOVER_SEND),
            "can_receive": policy.has_perm(actor, perms.HANDOVER_RECEIVE),
            "can_manage": policy.has_perm(actor, perms.HANDOVER_MANAGE),
            "section": "handover",
        },
    )


def _choices(actor: User) -> Any:
    """Dossiers the sender may pick: visible to them and in no open batch."""
    return (
        policy.dossiers_for(actor)
        .exclude(handover_items__is_open=True)
        .exclude(status=Dossier.Status.DESTROYED)
        .select_related("customer")
        .order_by("-created_at")[:100]
    )


@login_required
@app_errors
def handover_new(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.HANDOVER_SEND)
    form = HandoverForm(request.POST or None, choices=_choices(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ids = [d.pk for d in data["dossiers"]]
        numbers = form.archive_numbers()
        found = dict(
            policy.dossiers_for(actor)
            .filter(archive_number__in=numbers)
            .values_list("archive_number", "pk")
        )
        unknown = [n for n in numbers if n not in found]
        try:
            if unknown:
                raise ApplicationError(
                    _("档号不存在或您无权查看:%(n)s") % {"n": "、".join(unknown)}, field="numbers"
                )
            ids += list(found.values())
            document_ids = None
            if data["kind"] == Handover.Kind.COPIES:
                document_ids = list(
                    Document.objects.filter(
                        dossier_id__in=ids, state=Document.State.VALID
                    ).values_list("pk", flat=True)
                )
            handover = services.handover_create(
                actor=actor,
                dossier_ids=ids,
                to_user=data["to_user"],
                to_department=data["to_department"],
                kind=data["kind"],
                note=data["note"],
                document_ids=document_ids,
            )
        except ApplicationError as exc:
            if exc.field in ("dossiers", "documents"):
                exc.field = "numbers"
            add_form_error(form, exc)
        else:
            messages.success(request, _("已创建移交单 %(n)s") % {"n": handover.number})
            return redirect("handover:detail", handover.pk)
    return render(request, "handover/new.html", {"form": form, "section": "handover"})


def _batch_context(
    actor: User, handover: Handover, *, only: HandoverItem | None = None
) -> dict[str, Any]:
    items = selectors.handover_items(handover)
    if only is not None:
        items = [item for item in items if item.pk == only.pk]
    receiver = selectors.is_receiver(actor, handover) and actor.pk != handover.from_user_id
    return {
        "handover": handover,
        "items": items,
        "results": HandoverLine.Result.choices,
        "can_verify": receiver and handover.is_open and handover.receiver_signed_at is None,
        "can_sign_receiver": receiver and handover.is_open and handover.receiver_signed_at is None,
        "can_sign_sender": selectors.is_sender(actor, handover)
        and handover.is_open
        and handover.sender_signed_at is None,
        "desk_item": only,
    }


def _render_batch(request: HttpRequest, handover: Handover, **extra: Any) -> HttpResponse:
    actor = actor_of(request)
    only = extra.pop("only", None)
    context = {**_batch_context(actor, handover, only=only), **extra, "section": "handover"}
    if is_htmx(request):
        return render(request, "handover/_batch.html", context)
    return render(request, "handover/detail.html", context)


@login_required
@app_errors
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handover = selectors.access_handover(actor_of(request), pk)
    return _render_batch(request, handover)


def _desk_item(request: HttpRequest, handover: Handover) -> HandoverItem | None:
    raw = request.POST.get("desk_item", "")
    if not raw.isdigit():
        return None
    return handover.items.filter(pk=int(raw)).first()


@login_required
@require_POST
@app_errors
def handover_verify(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    handover = selectors.access_handover(actor, pk)
    only = _desk_item(request, handover)
    items = [only] if only is not None else selectors.handover_items(handover)
    results: dict[int, dict[str, tuple[str, str]]] = {}
    for item in items:
        for line in item.lines.all():
            result = request.POST.get(f"r_{line.pk}", "")
            if result:
                note = request.POST.get(f"n_{line.pk}", "")
                results.setdefault(item.pk, {})[line.code] = (result, note)
    # "全部齐全": one bag (its id) or every bag shown ("all": the batch, or the desk's bag).
    wanted = request.POST.get("all_present", "")
    everything = [item.pk for item in items] if only is not None else True
    all_present: list[Any] | bool = everything if wanted == "all" else [wanted] if wanted else []
    attempt(
        request,
        lambda: services.handover_verify(
            actor=actor, handover=handover, results=results, all_present=all_present
        ),
        _("核对结果已保存"),
    )
    if is_htmx(request):
        return _render_batch(request, selectors.access_handover(actor, pk), only=only)
    return redirect("handover:detail", pk)


@login_required
@require_POST
@app_errors
def handover_sign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    handover = selectors.access_handover(actor, pk)
    only = _desk_item(request, handover)
    party = request.POST.get("as_party", "")
    attempt(
        request,
        lambda: services.handover_sign(actor=actor, handover=handover, as_party=party),
        _("已签字"),
    )
    if is_htmx(request):
        return _render_batch(request, selectors.access_handover(actor, pk), only=only)
    return redirect("handover:detail", pk)


@login_required
@app_errors
def handover_slip(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    handover = selectors.access_handover(actor, pk)
    content = services.slip_print(actor=actor, handover=handover)
    return pdf_response(content, f"{handover.number}.pdf")


@login_required
@app_errors
def desk(request: HttpRequest) -> HttpResponse:
    """The intake desk: one box to scan or type an archive number."""
    actor = actor_of(request)
    policy.require(actor, perms.HANDOVER_RECEIVE)
    number = request.GET.get("q", "").strip()[:64]
    context: dict[str, Any] = {"q": number, "section": "handover"}
    if number:
        dossier = policy.dossiers_for(actor).filter(archive_number=number).first()
        item = selectors.open_item_for(dossier.pk) if dossier is not None else None
        handover = (
            selectors.handovers_for(actor).filter(pk=item.handover_id).first() if item else None
        )
        context.update({"dossier": dossier, "custody": None})
        if dossier is not None:
            context["custody"] = selectors.custody_of(dossier.pk)
        if handover is not None and item is not None:
            context.update(_batch_context(actor, handover, only=item))
    template = "handover/desk.html#desk-result" if is_htmx(request) else "handover/desk.html"
    return render(request, template, context)


@login_required
@app_errors
def departure(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.HANDOVER_MANAGE)
    form = DepartureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = services.handover_departure(
                actor=actor, from_user=data["from_user"], to_user=data["to_user"], note=data["note"]
            )
        except ApplicationError as exc:
            if isinstance(exc, NotFound):
                raise
            add_form_error(form, exc)
        else:
            messages.success(
                request,
                _("已转交 %(c)s 位客户,改派 %(r)s 张移交单")
                % {"c": len(done.customers), "r": len(done.reassigned)},
            )
            if done.handover is not None:
                return redirect("handover:detail", done.handover.pk)
            return redirect("handover:list")
    return render(request, "handover/departure.html", {"form": form, "section": "handover"})
