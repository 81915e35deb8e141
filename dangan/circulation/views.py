"""HTML pages for use of the archive: requests, the approval queue, the loan register,
grants, notifications and the printable slip and register (issue 5).

Thin views (STYLE 6): form → access → service → render. Business refusals come back from
the services as ApplicationError and are shown in place on the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Grant, User
from dangan.archives.models import Dossier
from dangan.circulation import lending, printing, selectors, services
from dangan.circulation.forms import (
    DecisionForm,
    LendForm,
    RenewForm,
    RequestForm,
    ReturnForm,
    RevokeForm,
    moment_input,
)
from dangan.circulation.models import AccessRequest, Loan, RequestKind
from dangan.core.display import role_names
from dangan.core.errors import ApplicationError, NotFound
from dangan.core.http import actor_of, add_form_error, app_errors, is_htmx, pdf_response
from dangan.documents.models import Document

SECTION = "circulation"


def _dossier_key(text: str) -> Any:
    """The id behind a typed archive number (or the text itself, read as an id). Whether the
    actor may know that dossier is the service's question, answered like a missing one."""
    text = (text or "").strip()
    found = Dossier.objects.filter(archive_number=text).values_list("pk", flat=True).first()
    return found if found is not None else text


# --- requests ------------------------------------------------------------------------


def _document_choices(actor: User, dossier: Dossier | None) -> list[Document]:
    """The dossier's documents to choose from; titles only where the actor may read them
    (otherwise the document type, which is the template's, not the customer's)."""
    if dossier is None:
        return []
    visible = set(policy.documents_for(actor).filter(dossier=dossier).values_list("pk", flat=True))
    documents = list(dossier.documents.select_related("checklist_item").order_by("piece_number"))
    for doc in documents:
        if doc.pk not in visible:
            doc.title = doc.checklist_item.name if doc.checklist_item else _("文件")
    return documents


@login_required
@app_errors
def request_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    data = request.POST if request.method == "POST" else None
    key = (data or request.GET).get("dossier", "")
    dossier = None
    if key:
        try:
            dossier = services.requestable_dossier(actor, _dossier_key(key))
        except NotFound:
            dossier = None
    initial = {
        "dossier": dossier.archive_number if dossier else key,
        "kind": request.GET.get("kind") or RequestKind.VIEW,
        "until": moment_input(timezone.localtime().replace(hour=23, minute=59)),
    }
    form = RequestForm(data, initial=initial, documents=_document_choices(actor, dossier))
    if key and dossier is None and data is None:
        form.add_error(None, _("记录不存在或您无权查看"))
    if data is not None and form.is_valid():
        try:
            created = services.request_create(
                actor=actor,
                kind=form.cleaned_data["kind"],
                dossier_id=_dossier_key(form.cleaned_data["dossier"]),
                purpose=form.cleaned_data["purpose"],
                until=form.cleaned_data["until"],
                document_ids=form.cleaned_data["documents"],
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(
                request,
                _("已提交申请 %(n)s(%(s)s)")
                % {"n": created.number, "s": created.get_status_display()},
            )
            return redirect("circulation:request", created.pk)
    return render(
        request,
        "circulation/request_form.html",
        {
            "form": form,
            "dossier": dossier,
            "readable": selectors.readable(actor, dossier),
            "section": SECTION,
        },
    )


@login_required
@app_errors
def request_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.requests_of(actor_of(request)), 50).get_page(request.GET.get("page"))
    return render(request, "circulation/request_list.html", {"page": page, "section": SECTION})


def _render_request(
    request: HttpRequest, found: AccessRequest, *, form: DecisionForm | None = None
) -> HttpResponse:
    actor = actor_of(request)
    now = timezone.now()
    grant = found.grant
    grant_active = bool(
        grant and grant.revoked_at is None and grant.starts_at <= now < grant.expires_at
    )
    loan = Loan.objects.filter(request=found).first()
    steps = list(found.steps.all())
    names = role_names([s.role for s in steps] + [s.escalated_to for s in steps if s.escalated_to])
    for step in steps:  # the names people know, not the codes
        step.role_name = names.get(step.role, step.role)  # type: ignore[attr-defined]
        step.escalated_name = names.get(step.escalated_to, step.escalated_to)  # type: ignore[attr-defined]
    context = {
        "req": found,
        "readable": selectors.readable(actor, found.dossier),
        "steps": steps,
        "documents": list(found.documents.all()),
        "grant": grant,
        "grant_active": grant_active,
        "loan": loan,
        "can_cancel": found.requester_id == actor.pk
        and found.status == AccessRequest.Status.PENDING,
        "can_decide": selectors.approvals_for(actor).filter(pk=found.pk).exists(),
        "can_lend": found.kind == RequestKind.BORROW
        and found.status == AccessRequest.Status.APPROVED
        and loan is None
        and policy.has_perm(actor, perms.CIRCULATION_LEND),
        "can_print": printing.may_print_slip(actor, found),
        "form": form or DecisionForm(),
        "section": SECTION,
    }
    return render(request, "circulation/request_detail.html", context)


@login_required
@app_errors
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_request(request, selectors.access_request(actor_of(request), pk))


@login_required
@require_POST
@app_errors
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    found = selectors.access_request(actor, pk)
    try:
        services.request_cancel(actor=actor, request=found)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("申请已撤回"))
    return redirect("circulation:request", found.pk)


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    actor = actor_of(request)
    found = selectors.access_request(actor, pk)
    form = DecisionForm(request.POST)
    done = ""
    if form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if approve:
                found = services.request_approve(actor=actor, request=found, note=note)
            else:
                found = services.request_deny(actor=actor, request=found, note=note)
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            done = _("已同意") if approve else _("已驳回")
    if is_htmx(request):
        found = selectors.access_request(actor, found.pk)
        context = {"req": found, "form": form, "done": done}
        return render(request, "circulation/approvals.html#row", context)
    from_detail = request.POST.get("next") == "request"
    if done:
        messages.success(request, f"{found.number} {done}")
        if from_detail:
            return redirect("circulation:request", found.pk)
        return redirect("circulation:approvals")
    if from_detail:
        return _render_request(request, selectors.access_request(actor, found.pk), form=form)
    return _render_approvals(request, failed=(found, form))


@login_required
@require_POST
@app_errors
def request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@login_required
@require_POST
@app_errors
def request_deny(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


def _render_approvals(
    request: HttpRequest, *, failed: tuple[AccessRequest, DecisionForm] | None = None
) -> HttpResponse:
    """The caller's queue; a refused decision keeps its row (with the error) even when the
    request is not, or no longer, the caller's to decide."""
    queue = list(selectors.approvals_for(actor_of(request)))
    forms = {failed[0].pk: failed[1]} if failed else {}
    if failed and failed[0].pk not in {req.pk for req in queue}:
        queue.insert(0, failed[0])
    rows = [(req, forms.get(req.pk, DecisionForm())) for req in queue]
    return render(request, "circulation/approvals.html", {"rows": rows, "section": SECTION})


@login_required
@app_errors
def approvals(request: HttpRequest) -> HttpResponse:
    return _render_approvals(request)


# --- loans ---------------------------------------------------------------------------


def _lend_pieces(dossier: Dossier | None) -> list[tuple[int, str]]:
    """The dossier's pieces to choose from on the lend form (the archive room holds the
    bag; only the document type is shown, not the customer's titles); originals are
    named as staying in the room."""
    if dossier is None:
        return []
    originals = set(services.originals_of(dossier).values_list("pk", flat=True))
    choices = []
    for doc in dossier.documents.select_related("checklist_item").order_by("piece_number"):
        label = (
            f"{doc.piece_number}. {doc.checklist_item.name if doc.checklist_item else doc.title}"
        )
        if doc.pk in originals:
            label += " " + _("(原件,留存档案室)")
        choices.append((doc.pk, label))
    return choices


def _lend_initial(actor: User, request_id: str | None) -> dict[str, Any]:
    """The lend form filled from an approved borrow request (?request=<id>)."""
    if not request_id:
        return {}
    try:
        found = selectors.access_request(actor, request_id)
    except NotFound:
        return {}
    if found.kind != RequestKind.BORROW or found.status != AccessRequest.Status.APPROVED:
        return {}
    return {
        "dossier": found.dossier.archive_number,
        "borrower": found.requester_id,
        "due": moment_input(found.until),
        "request": found.pk,
    }


def _render_loans(
    request: HttpRequest, *, lend_form: LendForm | None = None, status: int = 200
) -> HttpResponse:
    actor = actor_of(request)
    can_lend = policy.has_perm(actor, perms.CIRCULATION_LEND)
    visible = selectors.loans_visible_to(actor)
    if can_lend or policy.has_perm(actor, perms.CIRCULATION_MANAGE):
        open_loans = list(visible.filter(returned_at__isnull=True).order_by("due_at", "id"))
        returned = list(visible.filter(returned_at__isnull=False).order_by("-returned_at")[:20])
    else:
        open_loans = list(visible.filter(returned_at__isnull=True).order_by("due_at", "id"))
        returned = list(visible.filter(returned_at__isnull=False).order_by("-returned_at"))
    if can_lend and lend_form is None:
        initial = _lend_initial(actor, request.GET.get("request")) or {
            "dossier": request.GET.get("dossier", "")
        }
        pieces = _lend_pieces(_lend_dossier(str(initial.get("dossier") or "")))
        lend_form = LendForm(initial=initial, documents=pieces)
    context = {
        "queue": list(selectors.handout_queue()) if can_lend else [],
        "open_loans": open_loans,
        "returned": returned,
        "now": timezone.now(),
        "can_lend": can_lend,
        "can_manage": policy.has_perm(actor, perms.CIRCULATION_MANAGE),
        "lend_form": lend_form if can_lend else None,
        "year": timezone.localdate().year,
        "section": SECTION,
    }
    return render(request, "circulation/loans.html", context, status=status)


@login_required
@app_errors
def loans(request: HttpRequest) -> HttpResponse:
    return _render_loans(request)


def _lend_dossier(text: str) -> Dossier | None:
    # The archive room holds every bag, whatever the lender's reading clearance.
    text = (text or "").strip()
    found = Dossier.objects.filter(archive_number=text).first()
    if found is None and text.isdigit():
        found = Dossier.objects.filter(pk=int(text)).first()
    return found


@login_required
@require_POST
@app_errors
def loan_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.CIRCULATION_LEND)
    typed = _lend_dossier(request.POST.get("dossier", ""))
    form = LendForm(request.POST, documents=_lend_pieces(typed))
    if form.is_valid():
        data = form.cleaned_data
        dossier = _lend_dossier(data["dossier"])
        borrow_request = (
            AccessRequest.objects.filter(pk=data["request"]).first() if data["request"] else None
        )
        if dossier is None:
            form.add_error("dossier", _("档案不存在"))
        elif data["request"] and borrow_request is None:
            form.add_error(None, _("借阅申请不存在"))
        else:
            scope = {
                "documents": data["documents"],
                "without_originals": data["without_originals"],
            }
            try:
                if data["walk_in"] and borrow_request is None:
                    loan = lending.loan_walk_in(
                        actor=actor,
                        dossier=dossier,
                        borrower=data["borrower"],
                        due=data["due"],
                        purpose=data["purpose"],
                        **scope,
                    )
                else:
                    loan = lending.loan_create(
                        actor=actor,
                        dossier=dossier,
                        borrower=data["borrower"],
                        due=data["due"],
                        request=borrow_request,
                        **scope,
                    )
            except ApplicationError as exc:
                add_form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已登记借出:%(d)s → %(u)s")
                    % {"d": loan.dossier.archive_number, "u": loan.borrower},
                )
                return redirect("circulation:loans")
    return _render_loans(request, lend_form=form)


def _render_loan(
    request: HttpRequest,
    loan: Loan,
    *,
    renew_form: RenewForm | None = None,
    return_form: ReturnForm | None = None,
) -> HttpResponse:
    actor = actor_of(request)
    can_lend = policy.has_perm(actor, perms.CIRCULATION_LEND) and loan.is_open
    context = {
        "loan": loan,
        "lent_documents": list(loan.documents.order_by("piece_number")),
        "originals_kept": selectors.originals_kept(loan),
        "overdue": loan.is_open and loan.due_at < timezone.now(),
        "can_lend": can_lend,
        "renew_form": renew_form or RenewForm(initial={"due": moment_input(loan.due_at)}),
        "return_form": return_form or ReturnForm(),
        "section": SECTION,
    }
    return render(request, "circulation/loan_detail.html", context)


@login_required
@app_errors
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_loan(request, selectors.access_loan(actor_of(request), pk))


@login_required
@require_POST
@app_errors
def loan_renew(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.CIRCULATION_LEND)
    loan = selectors.access_loan(actor, pk)
    form = RenewForm(request.POST)
    if form.is_valid():
        try:
            loan = lending.loan_renew(actor=actor, loan=loan, due=form.cleaned_data["due"])
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(
                request,
                _("已续借 %(d)s,应还时间 %(t)s")
                % {"d": loan.dossier.archive_number, "t": printing.when(loan.due_at)},
            )
            return redirect("circulation:loans")
    return _render_loan(request, loan, renew_form=form)


@login_required
@require_POST
@app_errors
def loan_return(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.CIRCULATION_LEND)
    loan = selectors.access_loan(actor, pk)
    form = ReturnForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            loan = lending.loan_return(
                actor=actor,
                loan=loan,
                complete=data["complete"],
                note=data["note"],
                damage_note=data["damage_note"],
            )
        except ApplicationError as exc:
            add_form_error(form, exc)
        else:
            messages.success(
                request, _("已归还 %(d)s,档案在档") % {"d": loan.dossier.archive_number}
            )
            return redirect("circulation:loans")
    return _render_loan(request, loan, return_form=form)


# --- grants and notifications ---------------------------------------------------------


@login_required
@app_errors
def grants(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    found = list(selectors.grants_visible_to(actor))
    dossier_ids = [g.object_id for g in found if g.object_type == Grant.ObjectType.DOSSIER]
    numbers = dict(Dossier.objects.filter(pk__in=dossier_ids).values_list("pk", "archive_number"))
    requests = dict(AccessRequest.objects.filter(grant__in=found).values_list("grant_id", "number"))
    rows = [(g, numbers.get(g.object_id, ""), requests.get(g.pk, "")) for g in found]
    context = {
        "rows": rows,
        "can_revoke": policy.has_perm(actor, perms.CIRCULATION_MANAGE),
        "section": SECTION,
    }
    return render(request, "circulation/grants.html", context)


@login_required
@require_POST
@app_errors
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.CIRCULATION_MANAGE)
    grant = Grant.objects.filter(pk=pk).first()
    if grant is None:
        raise NotFound(selectors.NOT_FOUND)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.grant_revoke(actor=actor, grant=grant, reason=reason)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("授权已撤销"))
    return redirect("circulation:grants")


@login_required
@app_errors
def notifications(request: HttpRequest) -> HttpResponse:
    found = selectors.notifications_of(actor_of(request))
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(request, "circulation/notifications.html", {"page": page, "section": SECTION})


@login_required
@require_POST
@app_errors
def notifications_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(actor=actor_of(request))
    messages.success(request, _("已将 %(n)d 条通知标为已读") % {"n": count})
    return redirect("circulation:notifications")


# --- printing --------------------------------------------------------------------------


@login_required
@app_errors
def request_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """The 借阅单: for the archive's managers, and for the requester's own request."""
    found = selectors.access_request(actor_of(request), pk)
    content = printing.request_slip_pdf(actor=actor_of(request), found=found)
    return pdf_response(content, f"{found.number}.pdf")


@login_required
@app_errors
def register_pdf(request: HttpRequest) -> HttpResponse:
    """The 借阅登记表 of a year, the paper register this system replaces."""
    year = printing.register_year(request.GET.get("year", ""))
    content = printing.register_pdf(actor=actor_of(request), year=year)
    return pdf_response(content, f"register-{year}.pdf")
