"""卷内分组 on the dossier page: open a dated part."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.archives import parts
from dangan.archives.forms import PartForm
from dangan.core.http import actor_of, app_errors, attempt


@login_required
@require_POST
@app_errors
def part_add(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = policy.access_dossier(request.user, pk, action=perms.DOCUMENT_UPLOAD)
    form = PartForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, _("未添加分组:%(e)s") % {"e": " ".join(errors)})
        return redirect("archives:dossier", dossier.pk)
    attempt(
        request,
        lambda: parts.dossier_part_add(
            actor=actor_of(request),
            dossier=dossier,
            label=form.cleaned_data["label"],
            date=form.cleaned_data["date"],
        ),
        _("已添加卷内分组,上传文件时可选择该分组"),
    )
    return redirect("archives:dossier", dossier.pk)
