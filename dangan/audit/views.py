from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangan.accounts import permissions as perms
from dangan.accounts import policy
from dangan.core.http import app_errors


@login_required
@app_errors
def audit_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, perms.AUDIT_VIEW)
    return render(request, "audit/list.html", {"section": "audit"})
