"""The home page (/), the dashboard and the reminders list. Thin: the selectors in
work.py, charts.py and reminders.py decide what each person sees."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.accounts.models import Department, User
from dangan.archives.models import ArchiveType
from dangan.core.http import actor_of, app_errors, attempt
from dangan.home import charts, exports, services
from dangan.home.reminders import KIND_LABELS, reminders_for
from dangan.home.work import remember_count, work_for


@login_required
@app_errors
def home(request: HttpRequest) -> HttpResponse:
    """What waits for the signed-in person today, each item a link."""
    actor = actor_of(request)
    work = work_for(actor)
    remember_count(actor, work)  # the badge of this very page need not count again
    return render(
        request,
        "home/home.html",
        {
            "work": [w for w in work if w.count],
            "clear": [w for w in work if not w.count],
            "today": timezone.localdate(),
            "can_dashboard": _may_dashboard(actor),
            "section": "home",
        },
    )


def _may_dashboard(actor: User) -> bool:
    return bool(policy.permissions_of(actor) & {perms.CUSTOMER_VIEW, perms.DOSSIER_VIEW})


@login_required
@app_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require_any(actor, perms.CUSTOMER_VIEW, perms.DOSSIER_VIEW)
    filters = charts.parse_filters(request.GET)
    return render(
        request,
        "home/dashboard.html",
        {
            "charts": charts.dashboard(actor, filters),
            "filters": filters.as_dict(),
            "errors": filters.errors,
            "departments": Department.objects.order_by("name"),
            "types": ArchiveType.objects.order_by("code"),
            "can_export": policy.has_perm(actor, perms.DATA_EXPORT),
            "section": "dashboard",
        },
    )


@login_required
@app_errors
def dashboard_xlsx(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    content = exports.dashboard_xlsx(actor=actor, filters=charts.parse_filters(request.GET))
    response = HttpResponse(content, content_type=exports.XLSX)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{stamp}.xlsx"'
    return response


def _int(text: str, default: int, low: int, high: int) -> int:
    return int(text) if text.isascii() and text.isdigit() and low <= int(text) <= high else default


@login_required
@app_errors
def reminders(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    policy.require(actor, perms.CUSTOMER_VIEW)
    days = _int(request.GET.get("days", ""), 7, 0, 92)
    kind = request.GET.get("kind", "")
    kind = kind if kind in KIND_LABELS else ""
    owners = policy.assignable_owners(actor).order_by("username")
    who = request.GET.get("owner", "")
    owner = owners.filter(pk=who).first() if who.isascii() and who.isdigit() else None
    start = timezone.localdate()
    found = reminders_for(
        actor, start=start, days=days, kind=kind, owner=owner, everyone=who == "all"
    )
    return render(
        request,
        "home/reminders.html",
        {
            "reminders": found,
            "days": days,
            "kind": kind,
            "kinds": KIND_LABELS.items(),
            "owners": owners if owners.count() > 1 else [],
            "owner": who,
            "end": start + datetime.timedelta(days=days),
            "section": "home",
        },
    )


@login_required
@require_POST
@app_errors
def reminder_done(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    key = request.POST.get("key", "")
    attempt(
        request,
        lambda: services.reminder_done(actor=actor, key=key, note=request.POST.get("note", "")),
        _("已标记完成"),
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("home:reminders")
    return redirect(target)
