"""The auditor's pages: the trail with filters, its Excel export, the chain check."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import User
from dangan.audit import exports, labels, selectors
from dangan.audit.models import AuditEntry
from dangan.audit.services import audit_chain_check, chain_message
from dangan.core.display import role_names
from dangan.core.http import app_errors

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[selectors.AuditFilterForm, dict[str, Any]]:
    form = selectors.AuditFilterForm(request.GET or None, with_choices=True)
    if not form.is_valid():
        return form, {}
    return form, {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}


def _rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """The entries as the page shows them: labels for the codes, role names (one query)."""
    codes = [code for e in entries for code in e.roles.split(",") if code]
    codes += [code for e in entries for code in labels.role_codes(e.detail)]
    names = role_names(codes)
    return [
        {
            "entry": e,
            "action": labels.action_label(e.action),
            "object_type": labels.object_type_label(e.object_type),
            "roles": "、".join(names[code] for code in e.roles.split(",") if code),
            "details": labels.detail_items(e.detail, names),
        }
        for e in entries
    ]


@require_GET
@login_required
@app_errors
def audit_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.AUDIT_VIEW)
    form, filters = _filters(request)
    entries = selectors.audit_list(request.user, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {
            "section": "audit",
            "form": form,
            "page": page,
            "rows": _rows(list(page.object_list)),
            "query": query.urlencode(),
            "can_export": policy.has_perm(request.user, perms.AUDIT_EXPORT),
            "last_check": AuditEntry.objects.filter(action="verify").order_by("-seq").first(),
            "usernames": User.objects.order_by("username").values_list("username", flat=True),
        },
    )


@require_GET
@login_required
@app_errors
def audit_export(request: HttpRequest) -> HttpResponseBase:
    policy.require(request.user, perms.AUDIT_EXPORT)
    form, filters = _filters(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("筛选条件有误,未导出"))
        return redirect(f"{reverse('audit:list')}?{request.GET.urlencode()}")
    out, _rows = exports.audit_export(actor=request.user, filters=filters)  # type: ignore[arg-type]
    return FileResponse(
        out,
        as_attachment=True,
        filename=exports.export_filename(),
        content_type=exports.XLSX_TYPE,
    )


@require_POST
@login_required
@app_errors
def audit_check(request: HttpRequest) -> HttpResponse:
    """Recompute the hash chain on demand (it reads every entry, so never on page load)."""
    problem = audit_chain_check(actor=request.user)  # type: ignore[arg-type]
    if problem is None:
        messages.success(request, chain_message(problem))
    else:
        messages.error(request, chain_message(problem))
    return redirect("audit:list")
