"""The 备份 page: the system administrator sees every backup run and asks for one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.backups import services
from dangan.backups.tasks import backup_enqueue
from dangan.core.http import actor_of, app_errors, attempt


@login_required
@app_errors
def index(request: HttpRequest) -> HttpResponse:
    runs = services.backup_list(actor=actor_of(request))
    context = {
        "runs": runs,
        "info": services.backup_destination_info(),
        "next_at": services.next_scheduled(),
        "section": "backups",
    }
    return render(request, "backups/index.html", context)


@login_required
@require_POST
@app_errors
def request_now(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.SYSTEM_BACKUP)  # a refusal is a 403, not a message
    run = attempt(
        request,
        lambda: services.backup_request(actor=actor_of(request)),
        _("已排入备份,后台任务将在一分钟内开始;完成后本页显示结果"),
    )
    if run is not None:
        backup_enqueue(run)
    return redirect("backups:index")
